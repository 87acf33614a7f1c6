"""A user's TCPKEEP_LOG_FILE and TCPKEEP_POLICY in root's processes (`su` without `-` and `sudo -E`
keep them): the shim must not write where the user points it, nor let the user's text start a line.
Each attack succeeded before the shim checked its log file and escaped its lines."""
import os
import re
import stat
import subprocess
import tempfile
import unittest

from staging import staged_for
from tcpkeep_test import SHIM, SOCKPROBE, Listener, main, preload_with, require_root, run_probe, shim_env

NOBODY = 65534
# What the user wants a root-owned file to hold as a line of its own: a key sshd would accept.
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGF0dGFja2VyIGtleSBmb3IgdGhlIHRlc3Qgb25seQ user@evil"
POLICY = f"/x\n{KEY}\n"


def connect_show(port):
    return ["socket", "inet", "stream", "connect", "127.0.0.1", port, "show"]


def run_as_root(log_file, policy=POLICY):
    """sockprobe under the shim, as root, with the user's variables; its stderr."""
    with Listener() as l:
        _, stderr = run_probe(connect_show(l.port), policy=policy, log="info", TCPKEEP_LOG_FILE=log_file, timeout=10)
    return stderr


def snapshot(path):
    """What must not change: the bytes and the modification time."""
    with open(path, "rb") as f:
        return f.read(), os.stat(path).st_mtime_ns


def private_file(directory, name, content, owner=0, mode=0o600):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(content)
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    return path


class LogFileOfRoot(unittest.TestCase):
    def setUp(self):
        require_root(self)
        self.root_dir = tempfile.mkdtemp()  # root's, mode 0700: what /root/.ssh or /etc is to the user
        self.addCleanup(subprocess.run, ["rm", "-rf", self.root_dir])

    def assert_refused(self, stderr, log_file, why):
        self.assertRegex(stderr.splitlines()[0], rf"^tcpkeep\[\d+\]: cannot write TCPKEEP_LOG_FILE={re.escape(log_file)}: {why}; "
                                                 "logging to stderr$")

    def assert_no_line_of_the_user(self, text):
        self.assertFalse([line for line in text.splitlines() if not line.startswith("tcpkeep[")], text)
        self.assertIn(r"/x\x0assh-ed25519 AAAA", text)  # the path is shown, escaped

    def test_newline_in_the_policy_path_starts_no_line(self):
        # Before: the shim made the file and wrote KEY on a line of its own.
        keys = os.path.join(self.root_dir, "authorized_keys")
        stderr = run_as_root(keys)
        self.assertFalse(os.path.exists(keys))
        self.assert_refused(stderr, keys, "its name must end in .log")
        self.assert_no_line_of_the_user(stderr)
        # Root's own log, which root created: appended to, the user's text kept inside one line.
        log = private_file(self.root_dir, "shim.log", b"")
        self.assertEqual(run_as_root(log), "")
        with open(log) as f:
            self.assert_no_line_of_the_user(f.read())

    def test_root_never_creates_the_file(self):
        # A new file at a path the user chose, holding text the user chose, in a root-owned directory:
        # /etc/ld.so.preload or a file /etc/bash_completion.d runs. Before: created.
        log = os.path.join(self.root_dir, "new.log")
        stderr = run_as_root(log)
        self.assertFalse(os.path.exists(log))
        self.assert_refused(stderr, log, r"a process running as root does not create it: create it first \(empty, owned by root\)")

    def test_roots_file_that_is_not_a_tcpkeep_log_is_left_alone(self):
        # /etc/ld.so.preload is root's, and every process loads what it names. Before: appended to.
        preload = private_file(self.root_dir, "preload.log", b"/usr/lib/libtcpkeep.so\n", mode=0o644)
        before = snapshot(preload)
        stderr = run_as_root(preload, policy="/home/user/evil.so")
        self.assertEqual(snapshot(preload), before)
        self.assert_refused(stderr, preload, "it holds something other than tcpkeep's log")

    def test_users_symlink_in_a_sticky_directory(self):
        # The user's own /tmp-like directory (sticky, world-writable) holds the user's symlink to a
        # root-only file. Before: followed, and root appended to the file.
        shared = tempfile.mkdtemp()
        self.addCleanup(subprocess.run, ["rm", "-rf", shared])
        os.chown(shared, NOBODY, NOBODY)
        os.chmod(shared, 0o1777)
        secret = private_file(self.root_dir, "secret.log", b"tcpkeep[1]: root's own log, root only\n")
        before = snapshot(secret)
        link = os.path.join(shared, "link.log")
        os.symlink(secret, link)
        os.lchown(link, NOBODY, NOBODY)
        stderr = run_as_root(link)
        self.assertEqual(snapshot(secret), before)
        self.assert_refused(stderr, link, "its directory belongs to another user")
        self.assertRegex(stderr.splitlines()[-1], r"^tcpkeep\[\d+\]: /x\\x0assh-ed25519 .*: cannot open policy")  # logged to stderr

    def test_file_of_another_user(self):
        # Before: root appended its lines to the user's file.
        os.chmod(self.root_dir, 0o755)
        theirs = private_file(self.root_dir, "user.log", b"", owner=NOBODY, mode=0o644)
        stderr = run_as_root(theirs)
        self.assertEqual(snapshot(theirs)[0], b"")
        self.assert_refused(stderr, theirs, "it belongs to another user")

    def test_fifo_never_opened(self):
        # A reader waits on the FIFO. Before: opened for writing and given the line.
        fifo = os.path.join(self.root_dir, "pipe.log")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, reader)
        stderr = run_as_root(fifo)
        try:
            got = os.read(reader, 4096)
        except BlockingIOError:
            got = b""
        self.assertEqual(got, b"")
        self.assert_refused(stderr, fifo, "it is not a regular file")

    def test_device_never_opened(self):
        # A device node named like a log (/dev/full): never opened. Before: opened, written (ENOSPC).
        device = os.path.join(self.root_dir, "full.log")
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        stderr = run_as_root(device)
        self.assert_refused(stderr, device, "it is not a regular file")

    def test_users_own_process_still_creates_its_log(self):
        # The rules leave a user's own process its log: created 0600 in the user's own directory.
        staged = staged_for(self)
        probe, shim = staged.copy(SOCKPROBE), staged.shim(SHIM)
        home = staged.subdir("home")
        os.chown(home, NOBODY, NOBODY)
        log = os.path.join(home, "shim.log")
        env = shim_env(policy="/nonexistent/policy.toml", log="info", TCPKEEP_LOG_FILE=log)
        env["LD_PRELOAD"] = preload_with(shim)
        with Listener() as l:
            r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", probe, *map(str, connect_show(l.port))],
                               env=env, capture_output=True, text=True, timeout=20)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        st = os.stat(log)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (NOBODY, 0o600))
        with open(log) as f:
            self.assertRegex(f.read(), r"^tcpkeep\[\d+\]: /nonexistent/policy.toml: cannot open policy: No such file or directory; "
                                       r"sockets left unchanged\n$")


if __name__ == "__main__":
    main()
