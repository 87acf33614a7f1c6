"""Cgroup-mode commands refuse clearly, with exit status 2 and nothing attached: not root, a
missing cgroup, no target, an invalid policy, a policy cgroup mode cannot decide as the shim
would, detaching where nothing is attached."""
import os
import tempfile
import unittest

from cgrouptest import Cgroup, attached_programs, main, require_cgroup_root, tool, write_policy

VALID = """version = 1
[defaults]
keepalive = true
idle = "60s"
"""


class ErrorsTest(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        self.dir = tempfile.TemporaryDirectory()
        os.chmod(self.dir.name, 0o755)
        self.addCleanup(self.dir.cleanup)
        self.valid = write_policy(self.dir.name, "valid.toml", VALID)

    def refused(self, args, stderr, prefix=()):
        r = tool(*args, prefix=prefix)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", stderr))

    def test_not_root(self):
        with Cgroup() as cg:
            nobody = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
            self.refused(["attach", "--policy", self.valid, "--cgroup", cg.path],
                         f"tcpkeep: cannot attach to cgroup {cg.path}: cgroup mode needs root (CAP_BPF, CAP_NET_ADMIN and write "
                         "access to the BPF filesystem)\n", prefix=nobody)
            self.assertEqual(attached_programs(cg.directory), [])

    def test_missing_cgroup(self):
        with Cgroup() as cg:
            missing = cg.path + "/absent"
            self.refused(["attach", "--policy", self.valid, "--cgroup", missing],
                         f"tcpkeep: {missing}: no such cgroup ({cg.directory}/absent does not exist)\n")
            self.refused(["detach", "--cgroup", missing], f"tcpkeep: {missing}: no such cgroup ({cg.directory}/absent does not exist)\n")

    def test_no_target(self):
        self.refused(["attach", "--policy", self.valid], "tcpkeep: which cgroup? give --cgroup PATH, --unit NAME or --pid PID\n")

    def test_process_without_cgroup_v2_entry(self):
        self.refused(["attach", "--policy", self.valid, "--pid", "999999999"], "tcpkeep: process 999999999: no such process\n")

    def test_invalid_policy(self):
        bad = write_policy(self.dir.name, "bad.toml", 'version = 1\n[defaults]\nidle = "soon"\n')
        with Cgroup() as cg:
            r = tool("attach", "--policy", bad, "--cgroup", cg.path)
            self.assertEqual(r.returncode, 2)
            self.assertTrue(r.stdout.startswith(f"{bad}:3:"), r.stdout)
            self.assertEqual(r.stderr, f"tcpkeep: {bad}: invalid policy, nothing attached\n")
            self.assertEqual(attached_programs(cg.directory), [])

    def test_policy_cgroup_mode_cannot_decide(self):
        text = VALID.replace('idle = "60s"\n', 'idle = "60s"\nuser_timeout = "auto"\n') + \
            '\n[[rule]]\nname = "psql"\nprocess = ["psql*"]\nidle = "5s"\n'
        unsupported = write_policy(self.dir.name, "process.toml", text)
        with Cgroup() as cg:
            self.refused(["attach", "--policy", unsupported, "--cgroup", cg.path],
                         f"tcpkeep: {unsupported}: cgroup mode cannot decide this policy as the shim would, nothing attached:\n"
                         "[defaults]: user_timeout = \"auto\" with idle, interval or count unset depends on each network "
                         "namespace's tcp_keepalive_* sysctls, which cgroup mode cannot read; set all three, or a user_timeout in "
                         "milliseconds\n"
                         "rule \"psql\" (line 7): process pattern \"psql*\" has glob characters (* ? [ \\): cgroup mode compares "
                         "whole names; list the names, or use the shim\n"
                         "rule \"psql\" (line 7): user_timeout = \"auto\" with idle, interval or count unset depends on each network "
                         "namespace's tcp_keepalive_* sysctls, which cgroup mode cannot read; set all three, or a user_timeout in "
                         "milliseconds\n")
            self.assertEqual(attached_programs(cg.directory), [])

    def test_check_says_whether_cgroup_mode_can_attach(self):
        unnamed = write_policy(self.dir.name, "unnamed.toml", 'version = 1\n[[rule]]\nprocess = ["/usr/bin/psql", "/opt/*/psql"]\n'
                               'idle = "5s"\n')
        r = tool("check", "--cgroup", unnamed)
        self.assertEqual((r.returncode, r.stderr), (1, ""))
        self.assertEqual(r.stdout.splitlines()[1:], [
            f"{unnamed}: cgroup mode: rule #1 (line 2): process pattern \"/usr/bin/psql\" is a path: cgroup mode sees the "
            "executable's file name and the command name, not the path; match the file name (\"psql\") or use the shim",
            f"{unnamed}: cgroup mode: rule #1 (line 2): process pattern \"/opt/*/psql\" is a path: cgroup mode sees the "
            "executable's file name and the command name, not the path; list file names, or use the shim",
            f"{unnamed}: cgroup mode: refused (tcpkeep attach would attach nothing)"])
        names = write_policy(self.dir.name, "names.toml", 'version = 1\n[[rule]]\nname = "clients"\ndirection = "outbound"\n'
                             'process = ["psql"]\nidle = "5s"\n\n[[rule]]\nprocess = ["nginx"]\nidle = "6s"\n')
        argv0 = ("unlike the shim, not against argv[0], which differs from both when a program is started under another name (exec -a, "
                 "a script's #! interpreter), and by the names at that moment, where the shim keeps those the process had when it first "
                 "loaded the policy")
        listens = ("when it connects or listens (its accepted connections are matched by the listening process; with `attach "
                   "--new-only`, those of a listener older than the attachment match no process rule)")
        note2 = (f"rule #2 (line 8): `process` is matched against the executable's file name and the command name (comm) of the "
                 f"process {listens}; {argv0}")
        r = tool("check", "--cgroup", names)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout.splitlines()[1:4], [
            f"{names}: cgroup mode: note: rule \"clients\" (line 2): `process` is matched against the executable's file name and "
            f"the command name (comm) of the process when it connects; {argv0}",
            f"{names}: cgroup mode: note: {note2}",
            f"{names}: cgroup mode: can be attached (tcpkeep attach); it decides every socket as the shim does except as noted"])
        with Cgroup() as cg:
            r = tool("attach", "--policy", names, "--cgroup", cg.path)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertEqual(r.stdout.splitlines()[0], f"attached {names} (2 rules) to cgroup {cg.path}")
            self.assertEqual(r.stdout.splitlines()[1], "existing sockets: none (no process in the cgroup)")
            self.assertEqual(r.stdout.splitlines()[3], f"note: {note2}")
        r = tool("check", "--cgroup", self.valid)
        self.assertEqual((r.returncode, r.stdout.splitlines()[-1]),
                         (0, f"{self.valid}: cgroup mode: can be attached (tcpkeep attach) and decides every socket as the shim does"))

    def test_detach_where_nothing_is_attached(self):
        with Cgroup() as cg:
            self.refused(["detach", "--cgroup", cg.path], f"tcpkeep: cannot detach from cgroup {cg.path}: no tcpkeep policy is attached\n")

    def test_attach_by_pid_then_detach(self):
        with Cgroup() as cg:
            proc = cg.start(["sleep", "60"])
            r = tool("attach", "--policy", self.valid, "--pid", str(proc.pid))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"attached {self.valid} (0 rules) to cgroup {cg.path}\nexisting sockets: "
                                                                    "0 set, 0 left as the program's, 0 skipped (1 network namespace)\n", ""))
            self.assertEqual(len(attached_programs(cg.directory)), 2)
            r = tool("detach", "--pid", str(proc.pid))
            self.assertEqual((r.returncode, r.stdout), (0, f"detached from cgroup {cg.path}\n"))
            self.assertEqual(attached_programs(cg.directory), [])


if __name__ == "__main__":
    main()
