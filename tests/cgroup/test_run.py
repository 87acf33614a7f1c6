"""tcpkeep run on programs the shim cannot reach (a `gcc -static` program, busybox-static, a setuid
program), as root: the run's policy, -s overrides included, comes from a transient cgroup made for
the program (values read back from the kernel while the connection is held); the exit status and a
death by signal are passed on; afterwards nothing is attached or pinned and the cgroup is gone. A
policy cgroup mode cannot decide, or no root, falls back to running the program as before, with the
warning and the reason."""
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from cgrouptest import (SHIM, SOCKPROBE, SOCKPROBE_STATIC, TOOL, Cgroup, main, mount_of, pinned_attachments, require_cgroup_root, tool,
                        write_policy)
from go_client import build_go_client
from staging import StagedFiles, staged_for
from tcpkeep_test import TCP_ESTABLISHED, HoldingServer, parse_values, remote_values, wait_for_socket

ORDER = ("ka", "idle", "interval", "count", "user_timeout")
POLICY = """version = 1
[defaults]
keepalive = true
idle = "63s"
interval = "13s"
count = 4
user_timeout = "8s"
"""
VALUES = [1, 63, 13, 4, 8000]
BUSYBOX = shutil.which("busybox")


def cgroup_of(pid="self"):
    """A process's cgroup in the v2 hierarchy ("/" for the root), its "0::" line in /proc/PID/cgroup."""
    with open(f"/proc/{pid}/cgroup") as f:
        return next(line[3:].rstrip("\n") for line in f if line.startswith("0::"))


def own_cgroup():
    """This process's cgroup: tcpkeep run, started by it, makes its transient cgroup there."""
    return cgroup_of()


def transient_pattern(tool_pid, parent=None):
    """The transient cgroup's path: tcpkeep-run-<pid>-<16 random hex digits> below `parent` (default:
    this process's cgroup, where tcpkeep, started by it, is too)."""
    parent = own_cgroup() if parent is None else parent
    return re.escape(f"{'' if parent == '/' else parent}/tcpkeep-run-{tool_pid}-") + "[0-9a-f]{16}"


def transient_path(tool_pid, text, parent=None):
    """The transient cgroup's path as `text` (tcpkeep's stderr, the program's output) shows it."""
    found = re.findall(transient_pattern(tool_pid, parent), text)
    if len(set(found)) != 1:
        raise AssertionError(f"not one transient cgroup of tcpkeep {tool_pid} in {text!r}")
    return found[0]


def child_of(pid, executable):
    """The one child of tcpkeep run `pid`, once it runs `executable` (tcpkeep speaks before it forks)."""
    for _ in range(500):
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
        if len(children) > 1:
            raise AssertionError(f"tcpkeep run {pid} has children {children}, not one")
        try:
            if children and os.readlink(f"/proc/{children[0]}/exe") == os.path.realpath(executable):
                return int(children[0])
        except FileNotFoundError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"tcpkeep run {pid} did not start {executable}")


def remove_when_empty(directory):
    """rmdir, once the processes killed in it have been reaped."""
    for _ in range(200):
        try:
            os.rmdir(directory)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
    os.rmdir(directory)


def as_list(values):
    return [values[k] for k in ORDER]


class RunInTransientCgroup(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        if not BUSYBOX:  # scripts/lib/common.sh installs busybox-static
            if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
                self.fail("busybox-static is not installed (TCPKEEP_REQUIRE_NETNS=1)")
            self.skipTest("busybox-static is not installed")
        self.dir = tempfile.TemporaryDirectory()
        os.chmod(self.dir.name, 0o755)
        self.addCleanup(self.dir.cleanup)
        self.policy = write_policy(self.dir.name, "p.toml", POLICY)
        self.cgroup_root = mount_of("cgroup2")
        self.ids_seen = []  # cgroup ids whose pins must be gone afterwards

    def assert_left_nothing(self, path):
        self.assertFalse(os.path.exists(self.cgroup_root + path), f"{path} is still there")
        listed = tool("attached")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertNotIn(path + "\t", listed.stdout)
        for pinned in pinned_attachments() or []:  # any other attachment is another test's, on a live cgroup
            self.assertNotIn(pinned, self.ids_seen)

    def remove_leftovers(self, tool_pid):
        """After a test that failed half-way (tcpkeep killed): its transient cgroup and attachment removed."""
        parent = own_cgroup()
        for directory in glob.glob(f"{self.cgroup_root}{'' if parent == '/' else parent}/tcpkeep-run-{tool_pid}-*"):
            with open(directory + "/cgroup.kill", "w") as f:
                f.write("1")
            tool("detach", "--cgroup", directory[len(self.cgroup_root):])
            remove_when_empty(directory)

    def hold(self, argv, env=None):
        """tcpkeep run ... argv (a sockprobe that connects and waits): (tool process, program pid, printed values)."""
        proc = subprocess.Popen([TOOL, "run", *argv], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        self.addCleanup(self.remove_leftovers, proc.pid)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        lines = []
        while not lines or not lines[-1].startswith("ready"):  # sockprobe holds its connection from then on
            lines.append(proc.stdout.readline())
            self.assertTrue(lines[-1], f"the program ended early: {lines}")
        shown = [as_list(parse_values(line)) for line in lines if line.startswith("ka=")]
        return proc, child_of(proc.pid, argv[argv.index("--") + 1]), shown[-1] if shown else None

    def check_held(self, proc, program, port, expected, policy_path, rules):
        path = cgroup_of(program)
        self.assertRegex(path, f"^{transient_pattern(proc.pid)}$")
        self.ids_seen = [str(os.stat(self.cgroup_root + path).st_ino)]
        self.assertEqual(as_list(remote_values(program, wait_for_socket(program, TCP_ESTABLISHED, port))), expected)
        listed = tool("attached")
        ours = [line for line in listed.stdout.splitlines() if line.startswith(path + "\t")]
        self.assertEqual(len(ours), 1, listed.stdout)
        self.assertIn(f"\tpolicy {policy_path} ({rules} rule", ours[0])
        verified = tool("verify", "--pid", str(program))  # covered without the shim
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        self.assertIn(f"  cgroup: {path} carries a tcpkeep attachment (policy {policy_path})", verified.stdout)
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=20), 0)
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        self.assert_left_nothing(path)
        return path, err

    def test_static_client_gets_the_policy_and_overrides(self):
        with HoldingServer() as db, tempfile.TemporaryDirectory() as runtime:  # where -s writes the merged policy
            env = dict(os.environ, XDG_RUNTIME_DIR=runtime)
            proc, program, printed = self.hold(["--policy", self.policy, "-s", "idle=42s", "--", SOCKPROBE_STATIC, "socket", "inet",
                                                "stream", "connect", "127.0.0.1", str(db.port), "show", "wait"], env=env)
            expected = [1, 42, 13, 4, 8000]
            self.assertEqual(printed, expected)
            (merged,) = os.listdir(runtime)
            merged = os.path.join(runtime, merged)
            path, err = self.check_held(proc, program, db.port, expected, merged, 0)
            self.assertEqual(err, f"tcpkeep: {SOCKPROBE_STATIC} is statically linked: the shim cannot load into it; cgroup mode gives it "
                                  f"the policy {merged} (0 rules) in the transient cgroup {path}\n")
            self.assertEqual(os.listdir(runtime), [])  # the merged policy goes with the cgroup

    def test_setuid_program_gets_the_policy(self):
        # Owned by nobody and setuid: run by root it gets AT_SECURE, so ld.so ignores LD_PRELOAD.
        with HoldingServer() as db, StagedFiles() as staged:
            probe = staged.copy(SOCKPROBE, "sockprobe-setuid")
            os.chown(probe, 65534, 65534)
            os.chmod(probe, 0o4755)
            proc, program, printed = self.hold(["--policy", self.policy, "--", probe, "socket", "inet", "stream", "connect",
                                                "127.0.0.1", str(db.port), "show", "wait"])
            self.assertEqual(printed, VALUES)
            with open(f"/proc/{program}/status") as f:
                uids = next(line.split()[1:] for line in f if line.startswith("Uid:"))
            self.assertEqual(uids[:2], ["0", "65534"])  # real root, effective nobody
            with open(f"/proc/{program}/maps") as f:
                self.assertNotIn("libtcpkeep", f.read())  # the values below are the kernel's doing
            path, err = self.check_held(proc, program, db.port, VALUES, self.policy, 0)
            self.assertEqual(err, f"tcpkeep: {probe} is setuid/setgid: the shim cannot load into it; cgroup mode gives it the policy "
                                  f"{self.policy} (0 rules) in the transient cgroup {path}\n")

    def test_cgo_go_program_gets_the_policy(self):
        # Dynamically linked (cgo): the shim would load, but Go's runtime makes its own system calls.
        client = build_go_client(self, self.dir.name, cgo=True)
        with HoldingServer() as db:
            proc, program, _ = self.hold(["--policy", self.policy, "--", client, f"127.0.0.1:{db.port}"])
            # Go sets keepalive, idle and interval (15 s) itself after connecting: its choice stays.
            path, err = self.check_held(proc, program, db.port, [1, 15, 15, 4, 8000], self.policy, 0)
        self.assertEqual(err, f"tcpkeep: {client} is a Go program: the shim loads into it but sees none of its connections (Go's runtime "
                              f"makes its own system calls); cgroup mode gives it the policy {self.policy} (0 rules) in the transient "
                              f"cgroup {path}\n")

    def test_processes_the_program_starts_are_covered(self):
        # busybox sh forks the static probe (a command follows it, so it cannot exec it in place).
        with HoldingServer() as db:
            proc, out, err = self.run_busybox(f"{SOCKPROBE_STATIC} socket inet stream connect 127.0.0.1 {db.port} show; "
                                              "grep ^0:: /proc/self/cgroup")
        shown = [as_list(parse_values(line)) for line in out.splitlines() if line.startswith("ka=")]
        self.assertEqual((proc.returncode, shown), (0, [VALUES]), out + err)
        path = transient_path(proc.pid, err)
        self.assertEqual(out.splitlines()[-1], f"0::{path}")
        self.assert_left_nothing(path)

    def run_busybox(self, script, policy=None, prefix=(), tool_path=TOOL, env=None):
        proc = subprocess.Popen([*prefix, tool_path, "run", "--policy", policy or self.policy, "--", BUSYBOX, "sh", "-c", script],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out, err = proc.communicate(timeout=30)
        return proc, out, err

    def test_exit_status_passed_on(self):
        proc, out, err = self.run_busybox("cat /proc/self/cgroup; exit 7")
        path = transient_path(proc.pid, err)
        self.assertEqual((proc.returncode, [l for l in out.splitlines() if l.startswith("0::")]), (7, [f"0::{path}"]), err)
        self.assert_left_nothing(path)

    def test_death_by_signal_passed_on(self):
        proc, out, err = self.run_busybox("kill -KILL $$")
        self.assertEqual(proc.returncode, -signal.SIGKILL, err)
        self.assertEqual(err.count("\n"), 1, err)  # only the line saying what tcpkeep did
        self.assert_left_nothing(transient_path(proc.pid, err))

    def test_signal_to_tcpkeep_reaches_the_program(self):
        proc = subprocess.Popen([TOOL, "run", "--policy", self.policy, "--", BUSYBOX, "sleep", "30"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.remove_leftovers, proc.pid)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        said = proc.stderr.readline()
        self.assertTrue(said.startswith(f"tcpkeep: {BUSYBOX} is statically linked"))
        program = child_of(proc.pid, BUSYBOX)
        path = transient_path(proc.pid, said)
        self.assertEqual(cgroup_of(program), path)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=10), -signal.SIGTERM)
        self.assertFalse(os.path.exists(f"/proc/{program}"))
        proc.stdout.close()
        proc.stderr.close()
        self.assert_left_nothing(path)

    def test_below_the_cgroup_tcpkeep_is_in(self):
        with Cgroup() as cg:
            rc, out, err = cg.run([TOOL, "run", "--policy", self.policy, "--", BUSYBOX, "sh", "-c",
                                   "grep ^0:: /proc/self/cgroup; grep ^0:: /proc/$PPID/cgroup"])
            path = transient_path(cg.procs[-1].pid, err, parent=cg.path)
            self.assertEqual((rc, out), (0, f"0::{path}\n0::{cg.path}\n"), err)  # the program, then tcpkeep
            self.assertTrue(err.endswith(f"in the transient cgroup {path}\n"), err)
            self.assert_left_nothing(path)

    def test_under_the_root_when_its_own_cgroup_refuses_a_child(self):
        with Cgroup() as cg:
            with open(os.path.join(cg.directory, "cgroup.max.descendants"), "w") as f:
                f.write("0")  # mkdir below it fails with EAGAIN
            rc, out, err = cg.run([TOOL, "run", "--policy", self.policy, "--", BUSYBOX, "sh", "-c",
                                   "grep ^0:: /proc/self/cgroup; grep ^0:: /proc/$PPID/cgroup"])
            path = transient_path(cg.procs[-1].pid, err, parent="/")
            self.assertEqual((rc, out), (0, f"0::{path}\n0::{cg.path}\n"), err)  # the program, then tcpkeep
            self.assertEqual(err, f"tcpkeep: {BUSYBOX} is statically linked: the shim cannot load into it; cgroup mode gives it the "
                                  f"policy {self.policy} (0 rules) in the transient cgroup {path}\n")
            self.assert_left_nothing(path)

    def test_processes_left_behind_keep_the_policy(self):
        proc, out, err = self.run_busybox("busybox sleep 30 </dev/null >/dev/null 2>&1 & exit 3")
        path = transient_path(proc.pid, err)
        directory = self.cgroup_root + path
        self.addCleanup(remove_when_empty, directory)
        self.addCleanup(tool, "detach", "--cgroup", path)
        self.assertEqual(proc.returncode, 3, err)
        self.assertEqual(err.splitlines()[1:], [f"tcpkeep: processes started by {BUSYBOX} still run in cgroup {path} and keep its policy; "
                                                f"once they have exited: tcpkeep detach --cgroup {path} && rmdir {directory}"])
        with open(os.path.join(directory, "cgroup.procs")) as f:
            self.assertEqual(len(f.read().split()), 1)  # the sleep
        self.assertIn(path + "\t", tool("attached").stdout)
        with open(os.path.join(directory, "cgroup.kill"), "w") as f:
            f.write("1")

    def test_refused_policy_falls_back_with_the_warning(self):
        refused = write_policy(self.dir.name, "refused.toml", POLICY + '\n[[rule]]\nname = "psql"\nprocess = ["/usr/bin/psql"]\nidle = "5s"\n')
        proc, out, err = self.run_busybox("cat /proc/self/cgroup", policy=refused)
        self.assertEqual((proc.returncode, [l for l in out.splitlines() if l.startswith("0::")]), (0, [f"0::{own_cgroup()}"]), err)  # run in place, in tcpkeep's own cgroup
        self.assertEqual(err, f"tcpkeep: {BUSYBOX} is statically linked: the shim cannot load into it; set its sockets with "
                              f"`tcpkeep apply --pid {proc.pid}` once it runs\n"
                              f"tcpkeep: not through a transient cgroup: {refused}: cgroup mode cannot decide this policy as the shim would:\n"
                              "rule \"psql\" (line 9): process pattern \"/usr/bin/psql\" is a path: cgroup mode sees the executable's file "
                              "name and the command name, not the path; match the file name (\"psql\") or use the shim\n")

    def test_kernel_refusal_falls_back_and_leaves_nothing(self):
        # Root without CAP_BPF and CAP_SYS_ADMIN: the kernel refuses to load the programs, and says
        # so as a permission problem, not as missing features (every probe would fail too).
        without_bpf = ("setpriv", "--bounding-set=-bpf,-sys_admin")
        proc, out, err = self.run_busybox("exit 4", prefix=without_bpf)
        self.assertEqual(proc.returncode, 4, err)
        path = transient_path(proc.pid, err)
        self.assertEqual(err, f"tcpkeep: {BUSYBOX} is statically linked: the shim cannot load into it; set its sockets with "
                              f"`tcpkeep apply --pid {proc.pid}` once it runs\n"
                              f"tcpkeep: not through a transient cgroup: cannot attach to cgroup {path}: the kernel does not let tcpkeep "
                              "load BPF programs (Operation not permitted): cgroup mode needs CAP_BPF and CAP_NET_ADMIN, and a kernel not "
                              "locked down against BPF\n")
        self.assert_left_nothing(path)

    def test_not_root_falls_back_with_the_warning(self):
        nobody = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
        staged = staged_for(self)  # nobody may not enter the build tree (a clone in a 0700 directory)
        proc, out, err = self.run_busybox("exit 5", prefix=nobody, tool_path=staged.copy(TOOL),
                                          env=dict(os.environ, TCPKEEP_SHIM=staged.copy(SHIM)))  # found, never loaded: busybox is static
        self.assertEqual(proc.returncode, 5, err)
        self.assertEqual(err, f"tcpkeep: {BUSYBOX} is statically linked: the shim cannot load into it; set its sockets with "
                              f"`tcpkeep apply --pid {proc.pid}` once it runs\n"
                              "tcpkeep: not through a transient cgroup: cgroup mode needs root\n")


if __name__ == "__main__":
    main()
