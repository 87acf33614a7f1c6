"""A user who may create cgroups (a subtree delegated to them) pre-creates the names root's
`tcpkeep run` will use for its transient cgroup. Before: the name was tcpkeep-run-<pid>, so a
squatted name made root run a static program without cgroup mode (a warning, exit 0). Now the
name ends in 16 random hex digits, a name that exists is never used, and another is drawn."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from host import cgroup2_mount
from tcpkeep_test import TCP_ESTABLISHED, main, remote_values, require_root, tcp_sockets, wait_for_socket

TOOL = os.environ.get("TCPKEEP_TOOL", "")
HOLD_STATIC = os.environ.get("TCPKEEP_HOLD_STATIC", "")
NOBODY = 65534
POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "63s"\ninterval = "13s"\ncount = 4\nuser_timeout = "8s"\n'
VALUES = {"ka": 1, "idle": 63, "interval": 13, "count": 4, "user_timeout": 8000}
RANDOM_NAME = r"tcpkeep-run-{pid}-[0-9a-f]{{16}}"
# getrandom() answering zeros to its first FIXED_RANDOM_CALLS 8-byte requests (-1: to all), then
# the kernel's: the names tcpkeep draws become predictable, so a collision can be arranged.
FIXED_RANDOM = r"""
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>
static int calls;
ssize_t getrandom(void* buf, size_t n, unsigned flags) {
    const char* fixed = getenv("FIXED_RANDOM_CALLS");
    if (n == 8 && fixed != NULL && (atoi(fixed) < 0 || calls++ < atoi(fixed))) {
        memset(buf, 0, n);
        return (ssize_t)n;
    }
    return syscall(SYS_getrandom, buf, n, flags);
}
"""
ZEROS = "0" * 16




def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return next(line[3:].rstrip("\n") for line in f if line.startswith("0::"))


def only_child(pid):
    for _ in range(500):
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise AssertionError(f"tcpkeep run {pid} started nothing")


def tool(*args):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)


class DelegatedSubtree:
    """A cgroup below the root handed to nobody, as systemd delegates one: the user may create
    cgroups in it. Removed, with whatever was made in it, afterwards."""

    def __init__(self, mount):
        self.path = f"/tcpkeep-hostile-{os.getpid()}"
        self.directory = mount + self.path
        os.mkdir(self.directory)
        for name in ("", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"):
            os.chown(os.path.join(self.directory, name), NOBODY, NOBODY)

    def squat(self, name):
        """What the user does: mkdir in the delegated subtree (owned by them)."""
        os.mkdir(os.path.join(self.directory, name))
        os.chown(os.path.join(self.directory, name), NOBODY, NOBODY)

    def children(self):
        return sorted(e.name for e in os.scandir(self.directory) if e.is_dir())

    def remove(self):
        for name in self.children():
            child = os.path.join(self.directory, name)
            tool("detach", "--cgroup", f"{self.path}/{name}")
            emptied(child)
            os.rmdir(child)
        emptied(self.directory)
        os.rmdir(self.directory)


def emptied(directory, patience_s=5):
    """Once every process in the cgroup is killed and gone (cgroup.events: populated 0)."""
    with open(os.path.join(directory, "cgroup.kill"), "w") as f:
        f.write("1")
    deadline = time.monotonic() + patience_s
    while time.monotonic() < deadline:
        with open(os.path.join(directory, "cgroup.events")) as f:
            if "populated 0\n" in f.read():
                return
        time.sleep(0.02)
    raise AssertionError(f"processes are left in {directory}")


class SquattedNames(unittest.TestCase):
    def setUp(self):
        require_root(self)
        mount = cgroup2_mount()
        if mount is None:
            self.fail("no cgroup v2 hierarchy")
        self.work = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.work)
        self.policy = os.path.join(self.work, "policy.toml")
        with open(self.policy, "w") as f:
            f.write(POLICY)
        self.subtree = DelegatedSubtree(mount)
        self.addCleanup(self.subtree.remove)

    def run_static(self, squatted_names, env=None, in_place=False):
        """tcpkeep run of the static program inside the delegated subtree, once the user has made
        squatted_names(pid of tcpkeep): (tcpkeep's process, the program's pid, names squatted). The
        program is tcpkeep's child, or with `in_place` (no cgroup mode) tcpkeep's process itself."""
        def squat_then_enter():  # in tcpkeep's process before exec: its pid is known
            for name in squatted_names(os.getpid()):
                self.subtree.squat(name)
            with open(os.path.join(self.subtree.directory, "cgroup.procs"), "w") as f:
                f.write("0")

        proc = subprocess.Popen([TOOL, "run", "--policy", self.policy, "--", HOLD_STATIC, "4"], preexec_fn=squat_then_enter, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        ready = proc.stdout.readline()
        self.assertTrue(ready.startswith("ready "), f"{ready!r} {proc.stderr.read() if proc.poll() is not None else ''}")
        if in_place:
            self.assertEqual(os.readlink(f"/proc/{proc.pid}/exe"), os.path.realpath(HOLD_STATIC))
        return proc, proc.pid if in_place else only_child(proc.pid), squatted_names(proc.pid)

    def finish(self, proc):
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=20), 0)
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        return err

    def assert_untouched(self, squatted):
        attached = tool("attached").stdout
        for name in squatted:
            directory = os.path.join(self.subtree.directory, name)
            self.assertEqual(os.stat(directory).st_uid, NOBODY)
            with open(os.path.join(directory, "cgroup.procs")) as f:
                self.assertEqual(f.read(), "", name)
            self.assertNotIn(f"{self.subtree.path}/{name}\t", attached)

    def assert_covered(self, proc, program, squatted):
        """The program runs in a fresh transient cgroup carrying the policy; the kernel holds its values."""
        path = cgroup_of(program)
        self.assertRegex(path, "^" + re.escape(self.subtree.path + "/") + RANDOM_NAME.format(pid=proc.pid) + "$")
        self.assertNotIn(path.rsplit("/", 1)[1], squatted)
        wait_for_socket(program, TCP_ESTABLISHED)
        established = [fd for fd, (state, _, _) in tcp_sockets(program).items() if state == TCP_ESTABLISHED]
        self.assertEqual(len(established), 2)  # tcp_hold's client and the connection it accepted
        for fd in established:
            self.assertEqual(remote_values(program, fd), VALUES)
        self.assert_untouched(squatted)
        err = self.finish(proc)
        self.assertTrue(err.endswith(f"in the transient cgroup {path}\n"), err)
        self.assertFalse(os.path.exists(cgroup2_mount() + path))
        self.assert_untouched(squatted)

    def test_predictable_names_taken_in_advance(self):
        # The name tcpkeep used to take, and the ones with a guessable random part.
        def names(pid):
            return [f"tcpkeep-run-{pid}", f"tcpkeep-run-{pid}-{ZEROS}", f"tcpkeep-run-{pid}-{'f' * 16}",
                    *(f"tcpkeep-run-{pid + n}" for n in range(1, 50))]
        proc, program, squatted = self.run_static(names)
        self.assert_covered(proc, program, squatted)

    def fixed_random_env(self, calls):
        """An environment whose tcpkeep draws zeros for its first `calls` names (-1: every name)."""
        source, library = os.path.join(self.work, "fixed_random.c"), os.path.join(self.work, "fixed_random.so")
        with open(source, "w") as f:
            f.write(FIXED_RANDOM)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", library, source], check=True)
        return dict(os.environ, LD_PRELOAD=library, FIXED_RANDOM_CALLS=str(calls))

    def test_the_drawn_name_exists_so_another_is_drawn(self):
        proc, program, squatted = self.run_static(lambda pid: [f"tcpkeep-run-{pid}-{ZEROS}"], env=self.fixed_random_env(1))
        self.assert_covered(proc, program, squatted)

    def test_every_drawn_name_exists_so_no_cgroup_is_used(self):
        # A bounded number of tries, each refused: the squatted directory is never used, and the
        # program runs as it would have without cgroup mode, with the reason.
        proc, program, squatted = self.run_static(lambda pid: [f"tcpkeep-run-{pid}-{ZEROS}"], env=self.fixed_random_env(-1),
                                                    in_place=True)
        self.assertEqual(cgroup_of(program), self.subtree.path)
        self.assert_untouched(squatted)
        err = self.finish(proc)
        self.assertIn(f"tcpkeep: not through a transient cgroup: cannot create the cgroup {self.subtree.directory}/{squatted[0]}: "
                      "File exists\n", err)
        self.assertEqual(self.subtree.children(), squatted)


if __name__ == "__main__":
    main()
