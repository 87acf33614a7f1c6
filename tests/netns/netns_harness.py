"""Two hosts as network namespaces, a peer that can vanish, and programs run inside them.

One NetnsPair per test: a "program" namespace (where the program under test runs) and a "peer"
namespace (where the harness's echo server or client lives), joined by a veth pair on a private
/30. Names carry the pid and the case so ctest can run tests in parallel; namespaces are deleted
on exit, on SIGTERM/SIGINT, and (when a test was SIGKILLed) by the next test, which reaps
namespaces of dead pids. Standard library only.
"""
import atexit
import ctypes
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

PREFIX = "tknetns-"  # namespaces named PREFIX<pid>-<case>-<role>; nothing else is ever deleted
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_live = set()


class CapabilityMissing(Exception):
    """The machine cannot run network-namespace tests (not root, no ip netns, no nftables)."""


def check_capabilities():
    if os.geteuid() != 0:
        raise CapabilityMissing("needs root (network namespaces, nftables, sysctls)")
    for tool, package in (("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool) is None:
            raise CapabilityMissing(f"`{tool}` not found (install {package})")


def _run(*argv, stdin=None):
    r = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def _reap_stale():
    """Deletes our namespaces whose test process is gone (it was killed before its cleanup ran)."""
    for name in os.listdir("/run/netns") if os.path.isdir("/run/netns") else ():
        m = re.match(re.escape(PREFIX) + r"(\d+)-", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _cleanup_all():
    for pair in list(_live):
        pair.close()


def _exit_on_signal(signum, _frame):
    sys.exit(128 + signum)  # unwinds through every finally / __exit__, then atexit


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _exit_on_signal)
signal.signal(signal.SIGINT, _exit_on_signal)


class NetnsPair:
    """program_ns (address program_addr) <-veth-> peer_ns (address peer_addr)."""

    def __init__(self, case, index):
        pid = os.getpid()
        self.program_ns = f"{PREFIX}{pid}-{case}-prog"
        self.peer_ns = f"{PREFIX}{pid}-{case}-peer"
        self._veth = (f"tk{pid}-{index}p", f"tk{pid}-{index}q")  # <= 15 characters
        host = 4 * (pid % 64)  # a /30 unique per (case, pid): 10.77.<index>.<host>/30
        self.program_addr = f"10.77.{index}.{host + 1}"
        self.peer_addr = f"10.77.{index}.{host + 2}"
        self._created = []

    def __enter__(self):
        _reap_stale()
        _live.add(self)
        try:
            for ns in (self.program_ns, self.peer_ns):
                r = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
                if r.returncode != 0:
                    raise CapabilityMissing(f"`ip netns add` failed: {r.stderr.strip()}")
                self._created.append(ns)
            r = subprocess.run(["ip", "netns", "exec", self.peer_ns, "nft", "list", "ruleset"], capture_output=True, text=True)
            if r.returncode != 0:
                raise CapabilityMissing(f"nftables does not work in a network namespace: {r.stderr.strip()}")
            a, b = self._veth
            _run("ip", "link", "add", a, "netns", self.program_ns, "type", "veth", "peer", "name", b, "netns", self.peer_ns)
            for ns, dev, addr in ((self.program_ns, a, self.program_addr), (self.peer_ns, b, self.peer_addr)):
                _run("ip", "-n", ns, "addr", "add", f"{addr}/30", "dev", dev)
                _run("ip", "-n", ns, "link", "set", dev, "up")
                _run("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for ns in self._created:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self._created = []
        _live.discard(self)

    def sysctl(self, ns, key, value):
        _run("ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}={value}")

    def vanish(self, port, how="drop"):
        """From now on the peer namespace ignores the port (drop) or answers it with RST (reset)."""
        if how == "drop":  # both directions: nothing of the connection enters or leaves the peer
            verdict = f"tcp dport {port} drop; tcp sport {port} drop;"
            chains = f"chain input {{ type filter hook input priority 0; {verdict} }}\n" \
                     f"chain output {{ type filter hook output priority 0; {verdict} }}"
        else:
            chains = f"chain input {{ type filter hook input priority 0; tcp dport {port} reject with tcp reset; }}"
        _run("ip", "netns", "exec", self.peer_ns, "nft", "-f", "-", stdin=f"table inet tk {{\n{chains}\n}}\n")

    def sockets(self, ns, port):
        """`ss` view of the port's TCP connections in ns, timers included (for failure reports)."""
        return _run("ip", "netns", "exec", ns, "ss", "-tnoie", "state", "all", f"( sport = :{port} or dport = :{port} )")


def socket_in(ns):
    """A TCP socket created inside namespace ns: a socket stays in the namespace it was created in,
    and setns() of a network namespace only moves the calling thread, so a short-lived thread does it."""
    made = {}

    def create():
        try:
            with open(f"/run/netns/{ns}") as f:
                if _libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns({ns})")
            made["sock"] = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            made["error"] = e

    t = threading.Thread(target=create)
    t.start()
    t.join()
    if "error" in made:
        raise made["error"]
    return made["sock"]


class EchoServer:
    """Echoes every line on (addr, port) in namespace ns; connections stay open until close()."""

    def __init__(self, ns, addr, port):
        self._listener = socket_in(ns)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((addr, port))
        self._listener.listen(8)
        self._conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn):
        try:
            while data := conn.recv(4096):
                conn.sendall(data)
        except OSError:
            pass

    def close(self):
        for s in [self._listener, *self._conns]:
            s.close()


class AttachedCgroup:
    """A child of the cgroup v2 hierarchy with `policy` attached by the tool (cgroup mode); `enter`
    wraps an argv so that it moves itself into the cgroup before exec."""

    def __init__(self, tool, policy, name):
        with open("/proc/self/mounts") as f:
            mounts = [line.split() for line in f]
        v2 = [m[1] for m in mounts if m[2] == "cgroup2"]
        if not v2:
            raise CapabilityMissing("no cgroup v2 hierarchy is mounted")
        self.tool, self.path = tool, f"/{PREFIX}{os.getpid()}-{name}"
        self.directory = v2[0] + self.path
        os.mkdir(self.directory)
        r = subprocess.run([tool, "attach", "--policy", policy, "--cgroup", self.path], capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.directory)
            raise AssertionError(f"tcpkeep attach: exit {r.returncode}: {r.stderr}")

    def enter(self, argv):
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.directory, *argv]

    def close(self):
        subprocess.run([self.tool, "detach", "--cgroup", self.path], capture_output=True)
        for _ in range(100):  # the killed program leaves the cgroup once reaped
            try:
                os.rmdir(self.directory)
                return
            except OSError:
                time.sleep(0.02)


class Program:
    """A program run inside a namespace; its stdout lines are collected by a thread."""

    def __init__(self, ns, argv, env, cgroup=None):
        # pdeathsig: the program dies with the harness even when the harness is SIGKILLed (ctest timeout)
        argv = ["ip", "netns", "exec", ns, "setpriv", "--pdeathsig", "KILL", "--", *argv]
        if cgroup is not None:  # entered before `ip netns exec`, which mounts a /sys without the cgroup tree
            argv = cgroup.enter(argv)
        self._proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._lines = queue.Queue()
        self._stderr = []
        threading.Thread(target=self._collect, args=(self._proc.stdout, self._lines.put), daemon=True).start()
        threading.Thread(target=self._collect, args=(self._proc.stderr, self._stderr.append), daemon=True).start()

    @staticmethod
    def _collect(stream, sink):
        for line in stream:
            sink(line.rstrip("\n"))

    def next_line(self, timeout):
        """The next stdout line, or None if none came within timeout seconds."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def expect(self, wanted, timeout=5):
        line = self.next_line(timeout)
        if line != wanted:
            raise AssertionError(f"expected {wanted!r} from the program, got {line!r}; stderr: {self.stderr()}")

    @property
    def pid(self):
        """The program's pid (ip netns exec and setpriv exec it in place)."""
        return self._proc.pid

    def go(self):
        self._proc.stdin.write("x")
        self._proc.stdin.flush()

    def running(self):
        return self._proc.poll() is None

    def stderr(self):
        return "\n".join(self._stderr)

    def stop(self):
        if self.running():
            self._proc.kill()
        self._proc.wait()
