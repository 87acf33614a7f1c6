"""Deterministic cost budgets, counted with strace: system calls the shim adds per connection.
The one-time policy load is excluded by comparing runs with 1 and 11 connections."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from tcpkeep_test import SANITIZER_PRELOAD, SHIM, SOCKPROBE, Listener, PolicyFile, main, shim_env

RUNS = 10  # extra operations in the long run


def count_syscalls(make_args, n, preload, setup, policy=None):
    """Total system calls of sockprobe make_args(n) as counted by strace -c. setup(n)() runs first and
    returns the fds to pass and an optional action to run once sockprobe has printed "ready" (`wait`)."""
    pass_fds, when_ready = setup(n)()
    args = make_args(n)
    with tempfile.NamedTemporaryFile("r", suffix=".strace") as out:
        probe = subprocess.Popen(["strace", "-f", "-c", "-qq", "-o", out.name, SOCKPROBE, *map(str, args)],
                                 env=shim_env(policy, preload=preload), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, pass_fds=pass_fds, text=True)
        if when_ready is not None:
            while probe.stdout.readline().strip() != "ready":
                pass
            when_ready()
        probe.communicate(timeout=60)
        return strace_total(out.read())


def strace_total(summary):
    """The total number of calls in an `strace -c` summary, less the stat family: the shim's once-a-second
    check of its policy file (test_policy_file_checks_at_most_once_a_second counts those) would otherwise
    land in a run that happens to last a second."""
    total = int(re.search(r"^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(\d+\s+)?total$", summary, re.M).group(1))
    stats = re.findall(r"^\s*[\d.]+\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?(?:stat|newfstatat|statx|lstat)$", summary, re.M)
    return total - sum(int(n) for n in stats)


def added_per_operation(make_args, setup=lambda n: lambda: ((), None), policy=None):
    """(shim - plain) system calls per extra operation; setup(n) prepares a run of n operations."""
    def cost(preload):
        return count_syscalls(make_args, 1 + RUNS, preload, setup, policy) - count_syscalls(make_args, 1, preload, setup, policy)
    return (cost(True) - cost(False)) / RUNS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trickling_clients(port, clients, spacing):
    """setup(n) for a run of n accepts: a fresh port, and once sockprobe listens, a connection to it
    every `spacing` seconds from a thread (sockprobe accepts each as it comes)."""
    def connect_spaced(n):
        for _ in range(n):
            clients.append(socket.create_connection(("127.0.0.1", port[0])))
            time.sleep(spacing)

    def for_n(n):
        def setup():
            port[0] = free_port()
            return (), lambda: threading.Thread(target=connect_spaced, args=(n,), daemon=True).start()
        return setup
    return for_n



def setUpModule():
    if SANITIZER_PRELOAD:  # the sanitizer runtime makes system calls of its own (allocator mappings)
        raise unittest.SkipTest("system call budgets are a property of the release build, not of a sanitizer build")


class SyscallBudget(unittest.TestCase):
    def test_outbound_from_intercepted_socket_at_most_5(self):
        with Listener() as l:
            added = added_per_operation(lambda n: ["socket", "inet", "stream", "connect", "127.0.0.1", l.port] * n)
        self.assertEqual(added, 5)  # the five setsockopt calls, nothing else

    def test_outbound_on_inherited_socket_at_most_6(self):
        with Listener() as l:
            sockets = []  # fresh unconnected sockets for each run, inherited by sockprobe

            def inherit(n):
                def setup():
                    sockets[:] = [socket.socket() for _ in range(n)]
                    for s in sockets:
                        s.set_inheritable(True)
                    return [s.fileno() for s in sockets], None
                return setup

            args = lambda n: [a for fd in [s.fileno() for s in sockets] for a in ("use", fd, "connect", "127.0.0.1", l.port)]
            added = added_per_operation(args, setup=inherit)
        self.assertEqual(added, 6)  # one probe (getsockopt) + five setsockopt

    def test_accept_on_configured_listener_adds_nothing(self):
        port = [0]  # a fresh port per run: the closed connections leave the old one in TIME_WAIT
        clients = []

        def connect_clients(n):
            def setup():
                port[0] = free_port()
                return (), lambda: clients.extend(socket.create_connection(("127.0.0.1", port[0])) for _ in range(n))
            return setup

        added = added_per_operation(lambda n: ["socket", "inet", "stream", "bind", "127.0.0.1", port[0], "listen", "wait"] +
                                    ["accept-close"] * n, setup=connect_clients)
        for c in clients:
            c.close()
        self.assertEqual(added, 0)

    def test_accepts_over_seconds_with_a_policy_file_add_nothing_but_its_checks(self):
        # One accept every 0.15 s for 1.65 s, the policy read from a file: each accept reads the clock to
        # know whether the file is due for a check (vDSO: no system call); the check itself, a stat at
        # most once a second, is counted by test_policy_file_checked_at_most_once_a_second_while_accepting.
        port, clients = [0], []
        with PolicyFile("version = 1\n[defaults]\nkeepalive = true\nidle = \"40s\"\n") as p:
            added = added_per_operation(lambda n: ["socket", "inet", "stream", "bind", "127.0.0.1", port[0], "listen", "wait"] +
                                        ["accept-close"] * n, setup=trickling_clients(port, clients, 0.15), policy=p.path)
        for c in clients:
            c.close()
        self.assertEqual(added, 0)

    def test_policy_file_checked_at_most_once_a_second_while_accepting(self):
        # sockprobe only listens and accepts (never connects): 24 connections, one every 0.125 s (3 s).
        # The shim stat()s the policy file when it loads it, then at most once a second.
        port, clients = [0], []
        with tempfile.NamedTemporaryFile("r") as out, PolicyFile("version = 1\n[defaults]\nidle = \"40s\"\n") as p:
            _, start_clients = trickling_clients(port, clients, 0.125)(24)()
            probe = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=stat,newfstatat,statx,lstat", "-o", out.name, SOCKPROBE,
                                      "socket", "inet", "stream", "bind", "127.0.0.1", str(port[0]), "listen", "wait", *["accept-close"] * 24],
                                     env=shim_env(p.path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            while probe.stdout.readline().strip() != "ready":
                pass
            listening = time.monotonic()
            start_clients()
            probe.communicate(timeout=60)
            accepting = time.monotonic() - listening
            stats = [line for line in out.read().splitlines() if f'"{p.path}"' in line]
        for c in clients:
            c.close()
        checks = len(stats) - 1  # the first is the load's, at listen
        self.assertGreater(accepting, 2.5)  # 23 intervals of 0.125 s between the first and last connection
        self.assertGreaterEqual(checks, 2, stats)
        self.assertLessEqual(checks, int(accepting), stats)

    def test_udp_and_unix_add_nothing(self):
        udp = added_per_operation(lambda n: ["socket", "inet", "dgram", "connect", "127.0.0.1", "9"] * n)
        unix = added_per_operation(lambda n: ["socket", "unix", "stream", "connect", "/nonexistent.sock", "0"] * n)
        self.assertEqual((udp, unix), (0, 0))

    def test_no_tcp_costs_only_the_loaders_work(self):
        # A process using UDP and unix sockets makes exactly the system calls it makes with a preloaded
        # library that does nothing: no policy, no engine, no mapping of the shim's own (.bss included).
        no_tcp = ["socket", "inet", "dgram", "connect", "127.0.0.1", "9", "socket", "unix", "stream"]

        def total(preload):
            with tempfile.NamedTemporaryFile("r") as out:
                subprocess.run(["strace", "-f", "-c", "-qq", "-o", out.name, SOCKPROBE, *no_tcp],
                               env=shim_env(preload=False, LD_PRELOAD=preload), check=True, capture_output=True, timeout=60)
                return strace_total(out.read())
        self.assertEqual(total(SHIM), total(os.environ["TCPKEEP_EMPTY_PRELOAD"]))

    def test_policy_file_checked_at_most_once_a_second_while_connecting(self):
        # python3 connects for 3.2 s, then sleeps 2.5 s. The shim stat()s the policy file when it loads it
        # and then at most once a second, only while the program makes connections: none while it sleeps.
        client = ("import socket, sys, time\n"
                  "l = socket.create_server(('127.0.0.1', 0))\n"
                  "start = time.monotonic()\n"
                  "while time.monotonic() - start < 3.2:\n"
                  "    socket.create_connection(l.getsockname()).close()\n"
                  "    l.accept()[0].close()\n"
                  "print(time.monotonic() - start, flush=True)\n"
                  "time.sleep(2.5)\n")
        with tempfile.NamedTemporaryFile("r") as out, PolicyFile("version = 1\n[defaults]\nidle = \"40s\"\n") as p:
            run = subprocess.run(["strace", "-f", "-qq", "-e", "trace=stat,newfstatat,statx,lstat", "-o", out.name, sys.executable, "-c", client],
                                 env=shim_env(p.path), check=True, capture_output=True, text=True, timeout=60)
            stats = [line for line in out.read().splitlines() if f'"{p.path}"' in line]
        connecting = float(run.stdout)
        checks = len(stats) - 1  # the first is the load's
        self.assertGreaterEqual(checks, 2, stats)
        self.assertLessEqual(checks, int(connecting), stats)

    def test_no_tcp_means_no_policy_and_no_engine_opened(self):
        with tempfile.NamedTemporaryFile("r") as out, PolicyFile("version = 1\n") as p:
            subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", out.name, SOCKPROBE,
                            "socket", "inet", "dgram", "connect", "127.0.0.1", "9", "socket", "unix", "stream"],
                           env=shim_env(p.path), check=True, capture_output=True, timeout=60)
            opened = out.read()
        self.assertNotIn(p.path, opened)
        self.assertNotIn("libtcpkeep-engine", opened)
        self.assertIn("libtcpkeep.so", opened)  # the shim itself was loaded: the test is meaningful


if __name__ == "__main__":
    main()
