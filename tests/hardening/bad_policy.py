"""A bad policy asserted three ways:
  (a) `tcpkeep check FILE` exits 1 with the exact "FILE:LINE:COL: error: message" (exit 2 and
      "tcpkeep: FILE: message" on stderr for I/O problems, which have no position);
  (b) a real program (sockprobe) under the shim with TCPKEEP_POLICY=FILE still connects twice and
      listens, and every socket reads back the kernel's defaults: untouched;
  (c) its stderr is exactly one line, "tcpkeep[PID]: FILE[:LINE:COL]: message; sockets left unchanged",
      the same message as (a), once however many sockets follow.
"""
import collections
import subprocess

from staging import staged_for
from tcpkeep_test import KERNEL_DEFAULTS, SHIM, SOCKPROBE, TOOL, Listener, preload_with, shim_env

KERNEL_LINE = "ka={ka} idle={idle} interval={interval} count={count} user_timeout={user_timeout}".format(**KERNEL_DEFAULTS)

# How the tool and sockprobe are run: after a command prefix (another user), from these paths.
Invocation = collections.namedtuple("Invocation", "prefix tool sockprobe shim")
AS_ROOT = Invocation((), TOOL, SOCKPROBE, SHIM)


def as_nobody(test):
    """As nobody, with copies of the tool, sockprobe and the shim that nobody can reach (the build
    tree may be in a private directory), removed when the test ends."""
    staged = staged_for(test)
    return Invocation(("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"),
                      staged.copy(TOOL), staged.copy(SOCKPROBE), staged.shim(SHIM))


class Expected:
    """What the policy library says about a file: a position ("LINE:COL") and a message, or only a
    message for I/O problems (the file could not be read as a policy at all)."""

    def __init__(self, message, position=None):
        self.message = message
        self.position = position

    def located(self, path):
        return f"{path}:{self.position}: {self.message}" if self.position else f"{path}: {self.message}"


def assert_check(test, path, expected, how=AS_ROOT):
    r = subprocess.run([*how.prefix, how.tool, "check", path], capture_output=True, text=True, timeout=30)
    if expected.position is None:
        test.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", f"tcpkeep: {expected.located(path)}\n"))
        return
    test.assertEqual(r.returncode, 1, r.stdout + r.stderr)
    errors = [line for line in r.stdout.splitlines() if ": error: " in line]
    test.assertTrue(errors, r.stdout)
    test.assertEqual(errors[0], f"{path}:{expected.position}: error: {expected.message}")


def probe_under_bad_policy(policy, how=AS_ROOT):
    """Runs sockprobe under the shim: two connections and a listener. Returns (pid, stdout lines, stderr)."""
    with Listener() as l:
        one = ["socket", "inet", "stream", "connect", "127.0.0.1", l.port, "show"]
        args = [*one, *one, "socket", "inet6", "stream", "bind", "::1", "0", "listen", "show"]
        p = subprocess.Popen([*how.prefix, how.sockprobe, *map(str, args)], text=True,
                             env=shim_env(policy, LD_PRELOAD=preload_with(how.shim)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=20)  # a bad policy must never make the program hang
    if p.returncode != 0:
        raise AssertionError(f"sockprobe exited {p.returncode}: {err}")
    return p.pid, out.splitlines(), err


def assert_untouched_program(test, lines):
    test.assertEqual(lines[:6], ["socket fd=3 errno=0", "connect rc=0 errno=0", KERNEL_LINE,
                                 "socket fd=4 errno=0", "connect rc=0 errno=0", KERNEL_LINE])
    test.assertEqual(lines[6:8], ["socket fd=5 errno=0", "bind rc=0 errno=0"])
    test.assertRegex(lines[8], r"^listen rc=0 errno=0 port=[1-9]\d*$")
    test.assertEqual(lines[9:], [KERNEL_LINE])


def assert_fail_open(test, path, expected, how=AS_ROOT):
    pid, lines, stderr = probe_under_bad_policy(path, how)
    assert_untouched_program(test, lines)
    test.assertEqual(stderr, f"tcpkeep[{pid}]: {expected.located(path)}; sockets left unchanged\n")


def assert_three_ways(test, path, expected, how=AS_ROOT):
    assert_check(test, path, expected, how)
    assert_fail_open(test, path, expected, how)
