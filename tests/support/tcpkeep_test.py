"""Shared helpers for the tests that run real programs under the real shim.

Paths come from ctest's environment: TCPKEEP_SHIM (libtcpkeep.so), TCPKEEP_TOOL (tcpkeep),
TCPKEEP_SOCKPROBE (tests/shim/programs/sockprobe). Values are read back from the kernel, either
by the program itself (getsockopt is never intercepted) or from outside with pidfd_getfd.
"""
import ctypes
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import run_tests

SHIM = os.environ.get("TCPKEEP_SHIM", "")
# Sanitizer builds (cmake/sanitizers.cmake): the runtimes to load before a sanitized shim in programs
# not built with them; "" in normal builds.
SANITIZER_PRELOAD = os.environ.get("TCPKEEP_SANITIZER_PRELOAD", "")
TOOL = os.environ.get("TCPKEEP_TOOL", "")
SOCKPROBE = os.environ.get("TCPKEEP_SOCKPROBE", "")

TCP_USER_TIMEOUT = 18
OPTIONS = (  # (key in sockprobe output / our dicts, level, option)
    ("ka", socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    ("idle", socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    ("interval", socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    ("count", socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    ("user_timeout", socket.IPPROTO_TCP, TCP_USER_TIMEOUT),
)


def keepalive_sysctls():
    """This network namespace's net.ipv4.tcp_keepalive_{time,intvl,probes}: what a socket nobody
    configured reports for idle, interval and count (7200, 75 and 9 unless the host is tuned)."""
    def sysctl(name):
        with open("/proc/sys/net/ipv4/" + name) as f:
            return int(f.read())
    return sysctl("tcp_keepalive_time"), sysctl("tcp_keepalive_intvl"), sysctl("tcp_keepalive_probes")


# What a socket nobody configured holds: keepalive off, the namespace's sysctls, no user timeout.
KERNEL_DEFAULTS = dict(zip([key for key, _, _ in OPTIONS], (0, *keepalive_sysctls(), 0)))
EMBEDDED_DEFAULT = {"ka": 1, "idle": 60, "interval": 10, "count": 6, "user_timeout": 120000}


def values_of(sock):
    """The five options of a socket in this process."""
    return {key: sock.getsockopt(level, opt) for key, level, opt in OPTIONS}


def parse_values(line):
    """'ka=1 idle=60 ...' as printed by sockprobe's `show` -> dict of ints."""
    return {k: int(v) for k, v in re.findall(r"(\w+)=(-?\d+)", line)}


_libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438


def borrowed_fd(pid, fd):
    """A duplicate, in this process, of another process's file descriptor (pidfd_getfd): the same
    open file. The caller closes it."""
    pidfd = os.pidfd_open(pid)
    try:
        dup = _libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
        if dup < 0:
            raise OSError(ctypes.get_errno(), f"pidfd_getfd({pid}, {fd})")
        return dup
    finally:
        os.close(pidfd)


def remote_values(pid, fd):
    """The five options of another process's socket, through pidfd_getfd (the same socket)."""
    with socket.socket(fileno=borrowed_fd(pid, fd)) as sock:
        return values_of(sock)


def tcp_sockets(pid):
    """{fd: (state, local_port, remote_port)} for a process's TCP sockets, from /proc."""
    inodes = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m:
            inodes[m.group(1)] = int(fd)
    found = {}
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for row in f:
                cols = row.split()
                if cols[9] in inodes:
                    local_port = int(cols[1].split(":")[1], 16)
                    remote_port = int(cols[2].split(":")[1], 16)
                    found[inodes[cols[9]]] = (int(cols[3], 16), local_port, remote_port)
    return found


TCP_LISTEN = 0x0A
TCP_ESTABLISHED = 0x01


class PolicyFile:
    """A policy written to a temporary file for one test."""

    def __init__(self, text):
        self._file = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
        self._file.write(text)
        self._file.close()
        self.path = self._file.name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.unlink(self.path)


def preload_with(*libraries):
    """An LD_PRELOAD value for these libraries, behind the sanitizer runtimes in sanitizer builds."""
    return ":".join(filter(None, (SANITIZER_PRELOAD, *libraries)))


def shim_env(policy=None, log=None, preload=True, **extra):
    """The environment of a program started under the shim (no inherited TCPKEEP_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCPKEEP_") and k != "LD_PRELOAD"}
    if preload:
        env["LD_PRELOAD"] = preload_with(SHIM)
    if policy is not None:
        env["TCPKEEP_POLICY"] = policy
    if log is not None:
        env["TCPKEEP_LOG"] = log
    env.update(extra)
    return env


def run_probe(args, policy=None, log=None, preload=True, timeout=20, **extra):
    """Runs sockprobe to completion; returns (stdout lines, stderr text)."""
    r = subprocess.run([SOCKPROBE, *map(str, args)], env=shim_env(policy, log, preload, **extra),
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"sockprobe {args} exited {r.returncode}: {r.stderr}")
    return r.stdout.splitlines(), r.stderr


def shim_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("tcpkeep[")]


class Listener:
    """A plain TCP listener in the test process (never under the shim) that accepts in the background."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SilentListener:
    """A loopback listener whose accept queue is full (backlog 0 and one connection never accepted):
    the kernel drops every further SYN, so a blocking connect() to it waits (until a signal, or its SYN
    retries run out) and a non-blocking one stays EINPROGRESS."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(0)
        self.port = self.sock.getsockname()[1]
        self.filler = socket.create_connection(("127.0.0.1", self.port))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.filler.close()
        self.sock.close()


def wait_for_socket(pid, state, port=None, timeout=10):
    """The fd of pid's first TCP socket in `state` (matching the local or remote port when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fd, (st, local, remote) in tcp_sockets(pid).items():
            if st == state and (port is None or port in (local, remote)):
                return fd
        time.sleep(0.02)
    raise AssertionError(f"process {pid} has no TCP socket in state {state:#x}")


class HoldingServer(Listener):
    """Accepts connections and keeps them open without answering (an idle peer); closes them with itself."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        super().__init__(family, host)
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        super().close()
        for c in self.conns:
            c.close()


def values_of_running(argv, state, port=None, env=None):
    """Starts argv under the shim (or with `env`), waits for its TCP socket in `state`, returns that
    socket's values read from outside through pidfd_getfd, then kills the program."""
    proc = subprocess.Popen(argv, env=env or shim_env(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        return remote_values(proc.pid, wait_for_socket(proc.pid, state, port))
    finally:
        proc.kill()
        proc.wait()


def require_no_thread_sanitizer(program):
    """Programs that are not ThreadSanitizer-clean themselves (the JVM) cannot run with its runtime."""
    if "libtsan" in SANITIZER_PRELOAD:
        raise unittest.SkipTest(f"{program} reports races of its own under ThreadSanitizer")


def require_root(test):
    """Root-only checks fail (never skip) when CI demands them."""
    if os.geteuid() != 0:
        if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
            test.fail("this test needs root (TCPKEEP_REQUIRE_NETNS=1 makes that a failure)")
        raise unittest.SkipTest("needs root")


def main():
    """A test file run by hand: the same runner and output as under ctest (run_tests.py)."""
    missing = [n for n, v in (("TCPKEEP_SHIM", SHIM), ("TCPKEEP_TOOL", TOOL), ("TCPKEEP_SOCKPROBE", SOCKPROBE)) if not v]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (ctest does)")
    sys.exit(run_tests.main(sys.argv[1:], sys.modules["__main__"]))
