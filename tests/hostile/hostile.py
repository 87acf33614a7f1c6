"""Shared by the hostile tests: an unprivileged attacker (the user nobody) with a workspace of its
own, the processes it starts, and root's tool run against them.

Every attack is made the way any local user could make it: as nobody, in directories nobody owns,
with user and mount namespaces nobody may create. Root's tool must answer within a bound, never
die of a signal, and say nothing about what nobody may not read.
"""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import run_tests
from staging import StagedFiles
from tcpkeep_test import require_root

TOOL = os.environ.get("TCPKEEP_TOOL", "")
SHIM = os.environ.get("TCPKEEP_SHIM", "")
HOLD_STATIC = os.environ.get("TCPKEEP_HOLD_STATIC", "")
HOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "holder.py")
PYTHON = "/usr/bin/python3"
NOBODY = 65534
# Root's tool against one hostile process: far above what an answer takes (well under a second), far
# below what the attacks cost before they were fixed (forever, or hours).
TOOL_BOUND_S = 60


def as_nobody(*cmd):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


class Attacker:
    """nobody, with a workspace it owns (mode 0755 under a root-owned staging directory) and copies
    of the programs it runs there."""

    def __init__(self, test):
        require_root(test)
        self.staged = StagedFiles()
        test.addCleanup(self.staged.close)
        self.home = self.staged.subdir("home")
        os.chown(self.home, NOBODY, NOBODY)
        self.holder = self.staged.copy(HOLDER)
        self.test = test

    def path(self, *names):
        return os.path.join(self.home, *names)

    def run(self, *cmd, env=None):
        """A command as nobody, to completion; its output, or the test fails."""
        r = subprocess.run(as_nobody(*cmd), capture_output=True, text=True, env=env, timeout=60)
        self.test.assertEqual(r.returncode, 0, f"{cmd}: {r.stdout}{r.stderr}")
        return r.stdout

    def start(self, *holder_args, env=None):
        """holder.py as nobody, once it is ready."""
        return self.start_command(PYTHON, self.holder, *holder_args, env=env)

    def start_command(self, *cmd, env=None):
        """A command as nobody that prints holder.py's "ready PORT PID" line (a wrapper starting it)."""
        return HeldProcess(self.test, as_nobody(*cmd), env)


class HeldProcess:
    """A process that printed "ready PORT"; killed at the end of the test. `pid` is the holder's
    own pid, as it prints it (the child of a wrapper that forks)."""

    def __init__(self, test, cmd, env=None):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True)
        test.addCleanup(self.stop)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.proc.kill()
            raise AssertionError(f"{cmd} did not start: {line} {self.proc.stderr.read()}")
        self.port = int(line[1])
        self.pid = self.proc.pid if len(line) < 3 else int(line[2])

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


def environment(**extra):
    """A clean environment for an attacker's process: no TCPKEEP_* or LD_PRELOAD from the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCPKEEP_") and k != "LD_PRELOAD"}
    env.update(extra)
    return env


def tool(test, *args, expect=None):
    """Root's tool, bounded: it must end by itself, not of a signal, with `expect` when given."""
    r = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=TOOL_BOUND_S, errors="surrogateescape")
    test.assertGreaterEqual(r.returncode, 0, f"tcpkeep {args} died of signal {-r.returncode}: {r.stderr}")
    if expect is not None:
        test.assertEqual(r.returncode, expect, f"tcpkeep {args}: {r.stdout}{r.stderr}")
    return r


def tool_json(test, *args, expect=None):
    return json.loads(tool(test, *args, "--json", expect=expect).stdout)


def root_only_file(test, content):
    """A file only root may read (0600 in a 0700 directory), removed at the end."""
    directory = tempfile.mkdtemp(prefix="tcpkeep-secret-", dir="/tmp")
    test.addCleanup(shutil.rmtree, directory, True)
    path = os.path.join(directory, "secret.toml")
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, 0o600)
    return path


_libc = ctypes.CDLL(None, use_errno=True)


def main():
    sys.exit(run_tests.main(sys.argv[1:], sys.modules["__main__"]))


__all__ = ["Attacker", "HeldProcess", "environment", "tool", "tool_json", "root_only_file", "SHIM", "HOLD_STATIC", "unittest", "main"]
