"""tcpkeep env: exact text for systemd, shell and Docker."""
import os
import tempfile
import unittest

from tooltest import DEFAULT_POLICY, SHIM, SYSCONF, main, target_env, tool


class Env(unittest.TestCase):
    def test_formats(self):
        d, name = os.path.split(DEFAULT_POLICY)
        cases = {
            "systemd": f"[Service]\nEnvironment=LD_PRELOAD={SHIM}\nEnvironment=TCPKEEP_POLICY={DEFAULT_POLICY}\n",
            "shell": f"export LD_PRELOAD={SHIM}\nexport TCPKEEP_POLICY={DEFAULT_POLICY}\n",
            "docker": f"ENV LD_PRELOAD={SHIM}\nENV TCPKEEP_POLICY={DEFAULT_POLICY}\n",
        }
        for fmt, expected in cases.items():
            with self.subTest(format=fmt):
                r = tool("env", "--policy", name, "--format", fmt, cwd=d)  # relative --policy: made absolute
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, expected, ""))
        self.assertEqual(tool("env", "--policy", name, cwd=d).stdout, cases["systemd"])

    def test_system_policy_by_default(self):
        r = tool("env", "--format", "shell")
        self.assertEqual((r.returncode, r.stdout), (0, f"export LD_PRELOAD={SHIM}\nexport TCPKEEP_POLICY={SYSCONF}\n"))
        if not os.path.exists(SYSCONF):
            self.assertIn("does not exist yet", r.stderr)

    def test_quoting(self):
        with tempfile.TemporaryDirectory() as d:
            policy = os.path.join(d, "it's 100%.toml")
            with open(policy, "w") as f:
                f.write("version = 1\n")
            expected = {
                "systemd": f'Environment="TCPKEEP_POLICY={d}/it\'s 100%%.toml"\n',
                "shell": f"export TCPKEEP_POLICY='{d}/it'\\''s 100%.toml'\n",
                "docker": f'ENV TCPKEEP_POLICY="{d}/it\'s 100%.toml"\n',
            }
            for fmt, line in expected.items():
                with self.subTest(format=fmt):
                    self.assertTrue(tool("env", "--policy", policy, "--format", fmt).stdout.endswith(line))

    def test_shim_override_and_errors(self):
        r = tool("env", "--format", "docker", "--policy", DEFAULT_POLICY, env=target_env(TCPKEEP_SHIM="/nonexistent/libtcpkeep.so"))
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertEqual(r.stderr, "tcpkeep: cannot find libtcpkeep.so (looked at /nonexistent/libtcpkeep.so); set TCPKEEP_SHIM=PATH\n")
        r = tool("env", "--policy", "/nonexistent.toml")
        self.assertEqual((r.returncode, r.stderr), (2, "tcpkeep: /nonexistent.toml: cannot open policy: No such file or directory\n"))
        self.assertEqual(tool("env", "--format", "toml").returncode, 2)


if __name__ == "__main__":
    main()
