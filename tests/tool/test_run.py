"""tcpkeep run: the command gets the shim, the policy and -s overrides; its exit status is returned."""
import os
import subprocess
import tempfile
import unittest

from tooltest import (DEFAULT_POLICY, HOLD_STATIC, PYTHON, SHIM, TARGET_PY, TOOL, Target, kernel_values, main,
                      target_env, tool)

RICH_POLICY = '''version = 1
[defaults]
keepalive = true
idle = "2min"
user_timeout = "off"

[[rule]]
name = "db \\"main\\""
direction = "outbound"
ports = [5432, "6000-6100"]
process = ["psql", "/usr/bin/*"]
peers = ["10.0.0.0/8", "fd00::/8", "192.168.1.7"]
interval = "5s"
user_timeout = "90s"
enforce = true

[[rule]]
direction = "inbound"
action = "skip"
'''


def sh(script):
    return ["sh", "-c", script]


class Run(unittest.TestCase):
    def test_shim_prepended_once(self):
        for preset, expected in ((None, SHIM), ("libm.so.6", f"{SHIM}:libm.so.6"),
                                 (f"libm.so.6 {SHIM}:libc.so.6", f"{SHIM}:libm.so.6:libc.so.6")):
            with self.subTest(preset=preset):
                env = target_env(policy=None)
                if preset:
                    env["LD_PRELOAD"] = preset
                r = tool("run", "--", *sh('printf %s "$LD_PRELOAD"'), env=env)
                self.assertEqual((r.returncode, r.stdout), (0, expected), r.stderr)

    def test_policy_absolute_log_level_and_exit_status(self):
        d = os.path.dirname(DEFAULT_POLICY)
        r = tool("run", "--policy", os.path.basename(DEFAULT_POLICY), "--log", "debug", "--",
                 *sh('printf "%s %s" "$TCPKEEP_POLICY" "$TCPKEEP_LOG"; exit 7'), cwd=d, env=target_env(policy=None))
        self.assertEqual((r.returncode, r.stdout), (7, f"{DEFAULT_POLICY} debug"))

    def test_overrides_reach_the_program(self):
        with tempfile.TemporaryDirectory() as runtime_dir:  # where the merged policy goes
            cmd = [TOOL, "run", "--policy", DEFAULT_POLICY, "-s", "idle=30s", "-s", "count=3", "--", PYTHON, TARGET_PY, "4"]
            with Target(cmd, env=target_env(policy=None, XDG_RUNTIME_DIR=runtime_dir)) as t:
                values = [1, 30, 10, 3, 60000]  # user_timeout = "auto" follows: 30s + 10s x 3
                self.assertEqual(t.report(), {"listener": values, "client": values, "accepted": values})
            self.assertEqual(len(os.listdir(runtime_dir)), 1)

    def test_merged_policy_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as p:
            p.write(RICH_POLICY)
            p.flush()
            r = tool("run", "--policy", p.name, "-s", "count=4", "-s", "user_timeout=auto", "--",
                     *sh('stat -c %a "$TCPKEEP_POLICY"; cat "$TCPKEEP_POLICY"; rm "$TCPKEEP_POLICY"'), env=target_env(policy=None))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, f'''600
# Written by `tcpkeep run` from {p.name} with -s count=4 -s user_timeout=auto.
# Safe to delete once the program has exited.
version = 1

[defaults]
keepalive = true
idle = "2min"
count = 4
user_timeout = "auto"

[[rule]]
name = "db \\"main\\""
direction = "outbound"
ports = [5432, "6000-6100"]
process = ["psql", "/usr/bin/*"]
peers = ["10.0.0.0/8", "fd00::/8", "192.168.1.7/32"]
interval = "5s"
user_timeout = "1min 30s"
enforce = true

[[rule]]
direction = "inbound"
action = "skip"
''')

    def test_invalid_override_and_policy(self):
        r = tool("run", "-s", "idle=30", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (2, 'tcpkeep: -s idle=30: idle needs a unit; did you mean "30s"?\n'))
        r = tool("run", "-s", "idel=3s", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (2, 'tcpkeep: -s idel=3s: unknown key "idel" in [defaults]; did you mean "idle"?\n'))
        r = tool("run", "--policy", "/nonexistent.toml", "--", "true")
        self.assertEqual((r.returncode, r.stderr), (2, "tcpkeep: /nonexistent.toml: cannot open policy: No such file or directory\n"))
        self.assertEqual(tool("run", "--log", "loud", "--", "true").returncode, 2)
        self.assertEqual(tool("run").returncode, 2)

    def test_command_not_found(self):
        r = tool("run", "--", "/nonexistent/cmd")
        self.assertEqual((r.returncode, r.stderr), (127, "tcpkeep: cannot run /nonexistent/cmd: No such file or directory\n"))

    def test_static_command_is_named_and_still_runs(self):
        with tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen([TOOL, "run", "--no-cgroup", "--", HOLD_STATIC, "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=err, text=True, env=target_env(policy=None))
            self.assertTrue(p.stdout.readline().startswith("ready "))
            p.stdin.close()
            self.assertEqual(p.wait(timeout=10), 0)
            p.stdout.close()
            err.seek(0)
            self.assertEqual(err.read(), f"tcpkeep: {HOLD_STATIC} is statically linked: the shim cannot load into it; "
                                         f"set its sockets with `tcpkeep apply --pid {p.pid}` once it runs\n")

    def test_policy_reaches_the_program(self):
        # A policy without [defaults] or rules: the shim in the program leaves every socket alone.
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as p:
            p.write("version = 1\n")
            p.flush()
            with Target([TOOL, "run", "--policy", p.name, "--", PYTHON, TARGET_PY, "6"], env=target_env(policy=None)) as t:
                self.assertEqual(t.report()["client"], kernel_values())


if __name__ == "__main__":
    main()
