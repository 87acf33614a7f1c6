"""A path with a real round-trip time, for kernels without netem: two TUN devices, one in each of two
network namespaces, joined by a user-space line that holds every packet for a fixed delay before
writing it out of the other device. The kernels at both ends see an ordinary IPv4 point-to-point
link, so their RTT samples, RTO, backoff and timers are the genuine ones.

    with DelayLine("ns-a", "10.1.0.1", "ns-b", "10.1.0.2", "tkd1", a_to_b_ms=100, b_to_a_ms=0):
        ...  # ns-a reaches 10.1.0.2 over tkd1a; ns-b reaches 10.1.0.1 over tkd1b

The line reads packets as they come (one read() is one IP packet) and writes each out when its time
has come; the delay of a direction is fixed, so arrival order is also departure order.
Standard library only; needs root (/dev/net/tun, ip link).
"""
import collections
import fcntl
import os
import select
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000  # no packet-information header: a read is exactly one IP packet
MAX_PACKET = 65536


def _ip(*argv):
    r = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()}")


def _open_tun(name, ns, address, peer):
    """A TUN device created here and moved into ns: the open descriptor stays its queue."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        _ip("link", "set", "dev", name, "netns", ns)
        _ip("-n", ns, "addr", "add", address, "peer", f"{peer}/32", "dev", name)
        _ip("-n", ns, "link", "set", name, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
    except BaseException:
        os.close(fd)
        raise
    return fd


class _Direction:
    """Packets read from fd_in, written to fd_out once delay seconds have passed."""

    def __init__(self, fd_in, fd_out, delay):
        self.fd_in, self.fd_out, self.delay = fd_in, fd_out, delay
        self.queue = collections.deque()  # (due, packet), due in time.monotonic() seconds

    def read_all(self):
        while True:
            try:
                packet = os.read(self.fd_in, MAX_PACKET)
            except OSError:  # nothing more now (EAGAIN), or the device went away with its namespace
                return
            self.queue.append((time.monotonic() + self.delay, packet))

    def write_due(self):
        now = time.monotonic()
        while self.queue and self.queue[0][0] <= now:
            try:
                os.write(self.fd_out, self.queue.popleft()[1])
            except OSError:  # the far device is down or its queue is full: the packet is lost
                pass


def serve(fd_a, fd_b, a_to_b_ms, b_to_a_ms, control):
    """The line itself, in a process of its own (no other thread can hold it up), at a real-time
    priority when allowed: it uses next to no CPU, and on a loaded machine an ordinary process is
    woken tens of milliseconds late. Returns when `control` reaches end of file."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except OSError:
        pass
    os.write(1, b"ready\n")
    directions = (_Direction(fd_a, fd_b, a_to_b_ms / 1000), _Direction(fd_b, fd_a, b_to_a_ms / 1000))
    while True:
        due = [d.queue[0][0] for d in directions if d.queue]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        ready, _, _ = select.select([fd_a, fd_b, control], [], [], timeout)
        if control in ready:
            return
        for d in directions:
            if d.fd_in in ready:
                d.read_all()
            d.write_due()


class DelayLine:
    """ns_a (address_a, device NAME+"a") <-delay line-> ns_b (address_b, device NAME+"b"); NAME at
    most 14 characters. a_to_b_ms and b_to_a_ms: the one-way delays (the RTT is their sum). The
    line runs as a child process holding both devices; it ends, and the devices with it, on close()
    or when this process dies (its control pipe closes)."""

    def __init__(self, ns_a, address_a, ns_b, address_b, name, a_to_b_ms, b_to_a_ms):
        self._ends = ((name + "a", ns_a, address_a, address_b), (name + "b", ns_b, address_b, address_a))
        self._delays = (a_to_b_ms, b_to_a_ms)
        self._line = None

    def __enter__(self):
        fds = []
        try:
            for end in self._ends:
                fds.append(_open_tun(*end))
            argv = [sys.executable, os.path.abspath(__file__), *map(str, fds), *map(str, self._delays)]
            self._line = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=fds)
            if self._line.stdout.readline() != b"ready\n":  # until then packets wait in the devices' queues
                raise RuntimeError("the delay line did not start")
        except BaseException:
            self.close()
            raise
        finally:
            for fd in fds:
                os.close(fd)  # the line holds them now
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._line is not None:
            self._line.stdin.close()
            self._line.stdout.close()
            self._line.wait(timeout=5)
            self._line = None


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit("usage: delay_line.py TUN_FD_A TUN_FD_B A_TO_B_MS B_TO_A_MS (DelayLine runs it)")
    serve(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.stdin.fileno())
