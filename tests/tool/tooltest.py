"""Shared by the `tcpkeep` tool tests: paths from ctest, target processes, running the tool.

ctest passes: TCPKEEP_TOOL, TCPKEEP_SHIM_LIB, TCPKEEP_HOLD (tcp_hold), TCPKEEP_HOLD_STATIC,
TCPKEEP_TARGET_PY (programs/target.py), TCPKEEP_DEFAULT_POLICY (examples/policies/default.toml),
TCPKEEP_SYSCONF (the system policy path compiled in)."""
import json
import os
import subprocess
import sys

import run_tests
from tcpkeep_test import KERNEL_DEFAULTS

TOOL = os.environ["TCPKEEP_TOOL"]
SHIM = os.path.realpath(os.environ["TCPKEEP_SHIM_LIB"])
HOLD = os.environ["TCPKEEP_HOLD"]
HOLD_STATIC = os.environ["TCPKEEP_HOLD_STATIC"]
TARGET_PY = os.environ["TCPKEEP_TARGET_PY"]
DEFAULT_POLICY = os.environ["TCPKEEP_DEFAULT_POLICY"]
SYSCONF = os.environ["TCPKEEP_SYSCONF"]
# A python3 every user can run (the test's own may live in a private directory).
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

FIELDS = ["keepalive", "idle_s", "interval_s", "count", "user_timeout_ms"]
# The embedded default: keepalive on, 60s, 10s, 6 probes, user timeout auto = 120s.
DEFAULT = [1, 60, 10, 6, 120000]


def kernel_values():
    """What a socket nobody configured reports: keepalive off, this namespace's sysctls, no user timeout."""
    return list(KERNEL_DEFAULTS.values())


def as_list(values):
    """A verify "actual"/"expected" object as [keepalive 0/1, idle, interval, count, user_timeout]."""
    if values is None:
        return None
    return [int(values[f]) if values[f] is not None else None for f in FIELDS]


def as_nobody(*cmd):
    """cmd as nobody: its programs and files must be staged (staging.py), the build tree may be private."""
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


def require_root(test):
    """Tests that change users need root; in CI (TCPKEEP_REQUIRE_NETNS=1) lacking it is a failure."""
    if os.geteuid() == 0:
        return
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        test.fail("this test needs root (TCPKEEP_REQUIRE_NETNS=1)")
    test.skipTest("needs root")


def target_env(preload=False, policy=DEFAULT_POLICY, shim=SHIM, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TCPKEEP_POLICY", "TCPKEEP_LOG")}
    if preload:  # sanitizer builds: their runtime first (cmake/sanitizers.cmake)
        env["LD_PRELOAD"] = ":".join(filter(None, (os.environ.get("TCPKEEP_SANITIZER_PRELOAD"), shim)))
    if policy is not None:
        env["TCPKEEP_POLICY"] = policy
    env.update(extra)
    return env


class Target:
    """A process holding a loopback connection to itself (listener, client, accepted)."""

    def __init__(self, cmd, env=None, cwd=None):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=cwd)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.proc.kill()
            raise RuntimeError(f"{cmd} did not start: {line}")
        self.pid = self.proc.pid
        self.port = int(line[1])

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def report(self):
        """target.py only: what its sockets hold, read with getsockopt from inside."""
        return json.loads(self.ask("report"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


def tool(*args, env=None, prefix=(), cwd=None, exe=TOOL):
    return subprocess.run([*prefix, exe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def tool_json(test, *args, expect, **kw):
    """Runs the tool with --json, asserts the exit status, returns the parsed output."""
    r = tool(*args, "--json", **kw)
    test.assertEqual(r.returncode, expect, r.stdout + r.stderr)
    return json.loads(r.stdout)


def main():
    """A test file run by hand: the same runner and output as under ctest (run_tests.py)."""
    sys.exit(run_tests.main(sys.argv[1:], sys.modules["__main__"]))
