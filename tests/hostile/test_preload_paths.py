"""Issue 25, attack 1: a user's process makes the library paths root's tool looks at into traps.

The process names a library in LD_PRELOAD that is not there when it starts (ld.so ignores it and the
program runs), then puts a FIFO, a symlink to a FIFO or a symlink to a device at that path; or runs
under the real shim and, in its own user and mount namespace, mounts a FIFO with the same inode
number over the library it mapped. Before: root's `verify` and the whole-host `audit` blocked in
open() for ever, and a device was opened and closed. Now the path is looked at (O_PATH) as the
process would see it and only a regular file is ever opened; the mapped library is read through
/proc/PID/map_files, the file the process really mapped."""
import ctypes
import os
import struct
import subprocess

from hostile import Attacker, environment, main, tool, tool_json, unittest, SHIM
from staging import StagedFiles


def inotify_open_events(path):
    """An inotify watch for IN_OPEN on `path`; call the result to get how many opens it saw."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    IN_OPEN = 0x20
    if fd < 0 or libc.inotify_add_watch(fd, path.encode(), IN_OPEN) < 0:
        raise OSError(ctypes.get_errno(), "inotify")

    def count():
        seen = 0
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return 0
        at = 0
        while at < len(data):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", data, at)
            seen += (mask & IN_OPEN) != 0
            at += 16 + length
        return seen
    return count


class PreloadPathTraps(unittest.TestCase):
    def attacker_with_preload(self):
        """nobody's process with LD_PRELOAD naming a library that is not there yet."""
        attacker = Attacker(self)
        library = attacker.path("libtcpkeep.so")
        process = attacker.start(env=environment(LD_PRELOAD=library))
        return attacker, library, process

    def assert_judged_without_opening(self, process, why):
        report = tool_json(self, "verify", "--pid", str(process.pid), expect=1)
        self.assertFalse(report["shim"]["loaded"])
        self.assertIn(why, report["shim"]["why_not"])
        audit = tool_json(self, "audit", "--user", "nobody", expect=1)
        self.assertIn(process.pid, [p["pid"] for p in audit["processes"]], audit)

    def test_fifo_at_the_preload_path(self):
        attacker, library, process = self.attacker_with_preload()
        attacker.run("mkfifo", library)
        self.assert_judged_without_opening(process, f"the library path in LD_PRELOAD is unreadable: {library}: not a regular file")

    def test_symlink_to_a_fifo(self):
        attacker, library, process = self.attacker_with_preload()
        attacker.run("mkfifo", attacker.path("fifo"))
        attacker.run("ln", "-s", attacker.path("fifo"), library)
        self.assert_judged_without_opening(process, "not a regular file")

    def test_symlink_to_a_device_is_never_opened(self):
        # A device node of root's (the null device: opening it is harmless, and seen by inotify).
        with StagedFiles() as root_dir:
            device = os.path.join(root_dir.dir, "device")
            os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))
            opens = inotify_open_events(device)
            attacker, library, process = self.attacker_with_preload()
            attacker.run("ln", "-s", device, library)
            self.assert_judged_without_opening(process, "not a regular file")
            self.assertEqual(opens(), 0, "root's tool opened the device a user's LD_PRELOAD pointed at")

    def test_fifo_mounted_over_the_mapped_shim_with_its_inode_number(self):
        attacker = Attacker(self)
        staged = attacker.staged
        shim = staged.shim(SHIM, into="shim")
        # In nobody's own user and mount namespace: the shim copied to a tmpfs and preloaded from it,
        # then a second tmpfs whose files get the same inode numbers (tmpfs numbers each mount's
        # files alike), and a FIFO there mounted over the mapped library.
        script = f"""
set -e
exec 3<&0  # a background job's stdin is /dev/null: keep ours (the test's pipe) for the holder
a={attacker.path('a')}; b={attacker.path('b')}; ready={attacker.path('ready')}
mkdir -p $a $b
mount -t tmpfs none $a
cp {os.path.dirname(shim)}/libtcpkeep-engine.so $a/; cp {shim} $a/libtcpkeep.so
LD_PRELOAD=$a/libtcpkeep.so /usr/bin/python3 {attacker.holder} <&3 >$ready &
mount -t tmpfs none $b
touch $b/engine; mkfifo $b/fifo
test "$(stat -c %i $b/fifo)" = "$(stat -c %i $a/libtcpkeep.so)" || {{ echo "inode numbers differ" >&2; exit 1; }}
until grep -q ready $ready; do sleep 0.05; done
mount --bind $b/fifo $a/libtcpkeep.so
test -p $a/libtcpkeep.so
cat $ready
wait
"""
        process = attacker.start_command("unshare", "-Urm", "sh", "-c", script, env=environment())
        report = tool_json(self, "verify", "--pid", str(process.pid), expect=0)
        self.assertTrue(report["shim"]["loaded"])
        self.assertEqual(report["policy_origin"], "shim")


if __name__ == "__main__":
    main()
