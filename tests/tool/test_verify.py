"""tcpkeep verify against real processes: values read from the kernel, exact exit statuses."""
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import unittest

from staging import staged_for
from tooltest import (DEFAULT, DEFAULT_POLICY, HOLD, HOLD_STATIC, PYTHON, SHIM, SYSCONF, TARGET_PY, TOOL, Target,
                      as_list, as_nobody, kernel_values, main, require_root, target_env, tool, tool_json)


class Verify(unittest.TestCase):
    def check_trio(self, report, port, host, values, ok):
        """The listener, client and accepted socket of a Target, all holding `values`."""
        local = f"[{host}]" if ":" in host else host
        rows = {(s["state"], s["direction"], s["local"], s["remote"]) for s in report["sockets"]}
        client = next(s for s in report["sockets"] if s["direction"] == "outbound")
        self.assertEqual(rows, {("LISTEN", "inbound", f"{local}:{port}", "[::]:0" if ":" in host else "0.0.0.0:0"),
                                ("ESTABLISHED", "outbound", client["local"], f"{local}:{port}"),
                                ("ESTABLISHED", "inbound", f"{local}:{port}", client["local"])})
        for s in report["sockets"]:
            self.assertEqual(as_list(s["actual"]), values, s)
            self.assertEqual(as_list(s["expected"]), DEFAULT, s)
            self.assertEqual(s["rule"], "[defaults]")
            self.assertEqual(s["ok"], ok, s)
        self.assertEqual(report["policy"], DEFAULT_POLICY)

    def test_python_without_shim_mismatch(self):
        with Target([PYTHON, TARGET_PY, "4"], env=target_env()) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=1)
            self.assertEqual(report["pid"], t.pid)
            self.assertEqual(report["shim"], {"loaded": False, "path": None,
                                              "why_not": "LD_PRELOAD is absent from the process's environment"})
            self.check_trio(report, t.port, "127.0.0.1", kernel_values(), False)
            self.assertEqual([s["keepalive_timer"] for s in report["sockets"]], [False] * 3)
            self.assertIs(report["ok"], False)
            text = tool("verify", "--pid", str(t.pid))
            self.assertEqual(text.returncode, 1)
            self.assertIn("MISMATCH: 3 of 3 sockets differ from the policy", text.stdout)

    def test_c_program_under_shim_ipv4_and_ipv6(self):
        for family, host in (("4", "127.0.0.1"), ("6", "::1")):
            with self.subTest(family=family), Target([HOLD, family], env=target_env(preload=True)) as t:
                report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
                self.assertEqual(report["shim"], {"loaded": True, "path": SHIM, "why_not": None})
                self.assertEqual(report["executable"], os.path.realpath(HOLD))
                self.check_trio(report, t.port, host, DEFAULT, True)
                # Keepalive on: the kernel runs the keepalive timer on the connected sockets.
                self.assertEqual(sorted(s["keepalive_timer"] for s in report["sockets"]), [False, True, True])
                self.assertIs(report["ok"], True)

    def test_python_under_shim(self):
        with Target([PYTHON, TARGET_PY, "6"], env=target_env(preload=True)) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.check_trio(report, t.port, "::1", DEFAULT, True)
            self.assertEqual(t.report()["client"], DEFAULT)  # the program itself sees the same

    def test_policy_discovered_like_the_shim(self):
        with Target([HOLD, "4"], env=target_env(preload=True, policy=None)) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.assertEqual(report["policy"], SYSCONF if os.path.exists(SYSCONF) else "<embedded default>")
        with tempfile.TemporaryDirectory() as d:  # relative TCPKEEP_POLICY: the target's working directory
            shutil.copy(DEFAULT_POLICY, os.path.join(d, "p.toml"))
            with Target([HOLD, "4"], env=target_env(preload=True, policy="p.toml"), cwd=d) as t:
                self.assertEqual(tool_json(self, "verify", "--pid", str(t.pid), expect=0)["policy"], os.path.join(d, "p.toml"))

    def test_policy_option_and_skip_rule(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as p, Target([HOLD, "4"], env=target_env(preload=True)) as t:
            p.write(f'version = 1\n[defaults]\nidle = "30s"\n[[rule]]\nname = "leave inbound"\ndirection = "inbound"\n'
                    f'ports = [{t.port}]\naction = "skip"\n')
            p.flush()
            report = tool_json(self, "verify", "--pid", str(t.pid), "--policy", p.name, expect=1)
            self.assertEqual(report["policy"], p.name)
            by_dir = {(s["state"], s["direction"]): s for s in report["sockets"]}
            for key in (("LISTEN", "inbound"), ("ESTABLISHED", "inbound")):
                self.assertEqual(by_dir[key]["rule"], "leave inbound")
                self.assertEqual(by_dir[key]["action"], "skip")
                self.assertEqual(as_list(by_dir[key]["expected"]), [None] * 5)
                self.assertIs(by_dir[key]["ok"], True)
            client = by_dir[("ESTABLISHED", "outbound")]
            self.assertEqual(as_list(client["expected"]), [None, 30, None, None, None])  # unset options: null, not compared
            self.assertEqual(as_list(client["actual"]), DEFAULT)
            self.assertIs(client["ok"], False)

    def test_static_executable(self):
        with Target([HOLD_STATIC, "4"], env=target_env(preload=True)) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=1)
            self.assertFalse(report["shim"]["loaded"])
            self.assertTrue(report["shim"]["why_not"].startswith("statically linked: the executable has no program interpreter"))
            self.assertEqual({tuple(as_list(s["actual"])) for s in report["sockets"]}, {tuple(kernel_values())})

    def test_setuid_executable(self):
        require_root(self)
        staged = staged_for(self)
        exe = staged.copy(HOLD, "tcp_hold_suid", mode=0o4755)
        # A shim the program's user can read: only secure execution keeps it out.
        with Target(as_nobody(exe, "4"), env=target_env(preload=True, shim=staged.shim(SHIM))) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=1)
            self.assertFalse(report["shim"]["loaded"])
            self.assertTrue(report["shim"]["why_not"].startswith("secure execution (setuid/setgid"), report["shim"])

    def test_root_judges_the_policy_as_the_process_does(self):
        require_root(self)
        # A process run as nobody trusts a policy file nobody owns; root's verify must too (it reads
        # the file for the process), while root's own programs would refuse it.
        staged = staged_for(self)
        hold = staged.copy(HOLD)
        policy = staged.copy(DEFAULT_POLICY, "nobodys.toml", mode=0o644)
        nobody = pwd.getpwnam("nobody")
        os.chown(policy, nobody.pw_uid, nobody.pw_gid)
        with Target(as_nobody(hold, "4"), env=target_env(preload=True, policy=policy, shim=staged.shim(SHIM))) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.assertEqual((report["policy"], report["policy_origin"], report["policy_view"]), (policy, "shim", "process"))
            self.assertEqual(len(report["sockets"]), 3)
        refused = tool("check", policy)
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn(f"policy refused: {policy} is owned by uid {nobody.pw_uid}, not by root or the program's user (uid 0)",
                      refused.stdout + refused.stderr)

    def test_permission_denied(self):
        require_root(self)
        staged_tool = staged_for(self).copy(TOOL)
        with Target([HOLD, "4"], env=target_env()) as t:  # owned by root
            r = tool("verify", "--pid", str(t.pid), prefix=as_nobody(), exe=staged_tool)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stdout, "")
            self.assertIn(f"tcpkeep: process {t.pid}: permission denied", r.stderr)
            self.assertIn("needs CAP_SYS_PTRACE or the same uid (ptrace access mode PTRACE_MODE_ATTACH_REALCREDS)", r.stderr)

    def test_pidfd_getfd_refused_still_lists_sockets(self):
        require_root(self)
        # Same effective uid as the target (so /proc/PID/fd is readable) but another real uid: the
        # PTRACE_MODE_ATTACH_REALCREDS check of pidfd_getfd fails.
        staged = staged_for(self)
        hold, staged_tool, policy = staged.copy(HOLD), staged.copy(TOOL), staged.copy(DEFAULT_POLICY)  # the tool reads it
        with Target(as_nobody(hold, "4"), env=target_env(policy=policy)) as t:
            prefix = ["setpriv", "--ruid=12345", "--euid=nobody", "--regid=nogroup", "--clear-groups"]
            report = tool_json(self, "verify", "--pid", str(t.pid), prefix=prefix, exe=staged_tool, expect=2)
            self.assertEqual(len(report["sockets"]), 3)
            for s in report["sockets"]:
                self.assertIsNone(s["actual"])
                self.assertIsNone(s["ok"])
                self.assertIs(s["keepalive_timer"], False)
            self.assertIn("pidfd_getfd refused: needs CAP_SYS_PTRACE", report["missing"])
            self.assertIsNone(report["ok"])

    def test_no_such_process(self):
        p = subprocess.Popen(["true"])
        p.wait()
        r = tool("verify", "--pid", str(p.pid))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", f"tcpkeep: process {p.pid}: no such process\n"))

    def test_process_exited_but_not_reaped(self):
        # What a scan meets when its target exits under it: /proc/PID is still there, its files are not.
        with Target([HOLD, "4"], env=target_env()) as t:
            t.proc.stdin.close()
            while open(f"/proc/{t.pid}/stat").read().split()[2] != "Z":
                time.sleep(0.01)
            r = tool("verify", "--pid", str(t.pid))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", f"tcpkeep: process {t.pid}: no such process\n"))

    def test_by_name_selects_every_process(self):
        with tempfile.TemporaryDirectory() as d:
            exe = os.path.join(d, f"tkhold{os.getpid()}")
            shutil.copy(HOLD, exe)
            with Target([exe, "4"], env=target_env(preload=True)) as a, Target([exe, "6"], env=target_env(preload=True)) as b:
                reports = tool_json(self, "verify", os.path.basename(exe), expect=0)
                self.assertEqual([r["pid"] for r in reports], sorted([a.pid, b.pid]))
            r = tool("verify", os.path.basename(exe))
            self.assertEqual((r.returncode, r.stderr), (2, f'tcpkeep: no process named "{os.path.basename(exe)}"\n'))

    def test_usage_errors(self):
        self.assertEqual(tool("verify").returncode, 2)
        self.assertEqual(tool("verify", "--pid", "1", "foo").returncode, 2)
        self.assertEqual(tool("verify", "--pid", "x").returncode, 2)


if __name__ == "__main__":
    main()
