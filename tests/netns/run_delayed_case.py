"""The live prediction of `tcpkeep verify` on a path with a real round-trip time: the cases of
run_case.py, with the veth pair replaced by a user-space delay line (tests/support/delay_line.py;
this kernel has no netem). Like `tc qdisc add dev VETH root netem delay D` on the program's side,
the line holds every packet from the program for D and returns the peer's at once: the RTT is D.
The streaming cases add a connection that is busy at the moment verify is asked (below).

Before the case, a probe connection's SYN/SYN-ACK sample (TCP_INFO tcpi_rtt) must equal D within
RTT_SLACK_MS, and verify's modelled RTO must be at least D + rto_min (the kernel's RTO is srtt plus at
least rto_min): the prediction is then made from a real RTT, not from a LAN's rto_min.

    run_delayed_case.py CASE    exit 0 pass, 1 fail, 77 cannot run here (as run_case.py)
"""
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

from cases import Case
from delay_line import DelayLine
from netns_harness import CapabilityMissing, NetnsPair, Program, socket_in
from run_case import PORT, PROGRAM, SKIP, Run, outcome, policy_text, run_or_skip, tolerance_ms
from tcpkeep_test import TOOL, PolicyFile, shim_env

RTT_SLACK_MS = 3  # measured here: within 0.3 ms at a load average of 13
RTT_PROBE_PORT = PORT + 1
RTO_MIN_MS = 200  # TCP_RTO_MIN: no route in these namespaces sets rto_min
TCPI_RTT_OFFSET = 68  # struct tcp_info: tcpi_rtt (µs), after 8 bytes of fields and 15 u32

IDLE_MIDWAY = {"keepalive": True, "idle": "4s", "interval": "1s", "count": 2, "user_timeout": "off"}
VERIFY_BUSY = Case("busy", {"user_timeout": "3s"}, "if_sending_ms", predict_with="verify")
# No user timeout: the connection dies at the first firing at least tcp_model_timeout(tcp_retries2,
# rto_min) after the first timeout retransmission, and the backoff doubles the live RTO, so here the
# RTT decides which firing that is. RTT 100 ms (RTO ~300 ms), tcp_retries2 = 2: the limit is
# 7 x rto_min = 1.4 s, passed 6 x RTO after it (a LAN's RTO would need 14). RTT 300 ms (RTO ~900 ms),
# tcp_retries2 = 3: 15 x rto_min = 3 s, passed 6 x RTO after it. The model leaves out the timer
# wheel's rounding up (HZ=250: up to 32 ms for timers of 0.25-2 s, 256 ms for 2-16 s): the 3.6 s
# timer of the second case fires up to a quarter second late (measured 7.42 s against 7.13 s).
def busy_retries2(retries2):
    return Case("busy", {"user_timeout": "off"}, "if_sending_ms", predict_with="verify", sysctls={"net.ipv4.tcp_retries2": retries2})


VERIFY_IDLE = Case("idle", IDLE_MIDWAY, "detect_in_ms", predict_with="verify")

# name: (case, RTT in ms)
CASES = {
    "delay_verify_busy_rtt100": (VERIFY_BUSY, 100),
    "delay_verify_busy_rtt300": (VERIFY_BUSY, 300),
    "delay_verify_busy_retries2_rtt100": (busy_retries2(2), 100),
    "delay_verify_busy_retries2_rtt300": (busy_retries2(3), 300),
    "delay_verify_idle_midway_rtt100": (VERIFY_IDLE, 100),
    "delay_verify_idle_midway_rtt300": (VERIFY_IDLE, 300),
}
# A connection busy when asked: a program sends without pause to a peer that reads everything, through
# a 16 KiB send buffer (every byte of it in flight: the ACKs clock the sending, ~11 segments per RTT
# at RTT 100 ms, little work for the delay line), so data is in flight (tcpi_unacked > 0) when verify
# reads TCP_INFO. The peer vanishes right after; the program's blocked send() fails when the user
# timeout (the policy's, under the shim) ends the connection. verify's detect_in_ms (now = busy) is
# held to the time from the drop.
STREAMER = r"""
import errno, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
s.connect((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
try:
    while True:
        s.sendall(b"x" * 65536)
except OSError as e:
    print(f"result errno={errno.errorcode.get(e.errno, e.errno)} at={time.monotonic()}", flush=True)
"""
STREAM_POLICY = f'version = 1\n[[rule]]\nname = "stream"\ndirection = "outbound"\nports = [{PORT}]\nuser_timeout = "3s"\n'
STREAMING = {"delay_verify_streaming_rtt100": 100, "delay_verify_streaming_rtt300": 300}
FIRST_INDEX = 100  # NetnsPair indexes (10.77.<index>.x) apart from run_case.py's


class DelayedPair(NetnsPair):
    """NetnsPair whose veth pair gives way to a delay line with the same addresses."""

    def __init__(self, case, index, rtt_ms):
        super().__init__(case, index)
        self.rtt_ms = rtt_ms
        self._line = DelayLine(self.program_ns, self.program_addr, self.peer_ns, self.peer_addr, f"tkd{os.getpid()}-{index}",
                               a_to_b_ms=rtt_ms, b_to_a_ms=0)

    def __enter__(self):
        super().__enter__()
        try:
            # deleting one end of a veth pair deletes both, and the addresses on them
            subprocess.run(["ip", "-n", self.program_ns, "link", "del", self._veth[0]], check=True, capture_output=True)
            self._line.__enter__()
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        self._line.close()
        super().close()

    def measured_rtt_ms(self):
        """The kernel's RTT sample of a fresh connection's handshake, program -> peer."""
        listener = socket_in(self.peer_ns)
        client = socket_in(self.program_ns)
        try:
            listener.bind((self.peer_addr, RTT_PROBE_PORT))
            listener.listen(1)
            client.connect((self.peer_addr, RTT_PROBE_PORT))
            info = client.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            return struct.unpack_from("I", info, TCPI_RTT_OFFSET)[0] / 1000
        finally:
            client.close()
            listener.close()


class Sink:
    """Accepts one connection on (addr, PORT) in ns and reads whatever comes, until closed."""

    def __init__(self, ns, addr):
        self._listener = socket_in(ns)
        self._listener.bind((addr, PORT))
        self._listener.listen(1)
        self._conn = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            self._conn, _ = self._listener.accept()
            while self._conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self):
        for s in (self._listener, self._conn):
            if s is not None:
                s.close()


def live_prediction(pid):
    """verify's dead_peer of the process's connection to PORT."""
    r = subprocess.run([TOOL, "verify", "--pid", str(pid), "--json"], env=shim_env(preload=False), capture_output=True, text=True, timeout=20)
    connection = [s for s in json.loads(r.stdout or "{}").get("sockets", []) if s["remote"].endswith(f":{PORT}")]
    if r.returncode not in (0, 1) or len(connection) != 1:
        raise AssertionError(f"verify --pid {pid}: exit {r.returncode}, expected one connection to port {PORT}: {r.stdout} {r.stderr}")
    return connection[0]["dead_peer"]


def rtt_problems(net, rtt_ms):
    rtt = net.measured_rtt_ms()
    return rtt, [f"the path's RTT is {rtt:.1f} ms, not {rtt_ms} ms: the delay line is off"] if abs(rtt - rtt_ms) > RTT_SLACK_MS else []


def run_streaming_case(name):
    rtt_ms = STREAMING[name]
    index = FIRST_INDEX + len(CASES) + list(STREAMING).index(name)
    with DelayedPair(name, index, rtt_ms) as net, PolicyFile(STREAM_POLICY) as policy:
        rtt, problems = rtt_problems(net, rtt_ms)
        sink = Sink(net.peer_ns, net.peer_addr)
        program = Program(net.program_ns, [sys.executable, "-c", STREAMER, net.peer_addr, str(PORT)], shim_env(policy.path))
        try:
            program.expect("ready")
            time.sleep(1)  # the flow settled
            asked = time.monotonic()
            live = live_prediction(program.pid)
            net.vanish(PORT)
            dropped = time.monotonic()  # the rule is in force by now
            predicted = live["detect_in_ms"]
            line = program.next_line(predicted / 1000 + 5) or ""
        finally:
            program.stop()
            sink.close()
        m = re.fullmatch(r"result errno=(\S+) at=(\S+)", line)
        if live["now"] != "busy" or live["approximate"]:
            problems.append(f"verify did not see the connection busy, before any retransmission: {live}")
        if live["rto_ms"] < rtt_ms + RTO_MIN_MS:
            problems.append(f"verify modelled an RTO of {live['rto_ms']} ms, below RTT + rto_min")
        if not m:
            problems.append(f"no result line from the program in time (got {line!r}); stderr: {program.stderr()}")
            measured = float("nan")
        else:
            measured = (float(m.group(2)) - dropped) * 1000
            if m.group(1) != "ETIMEDOUT":
                problems.append(f"errno {m.group(1)}, expected ETIMEDOUT")
            if abs(measured - predicted) > tolerance_ms(predicted):
                problems.append(f"|measured - predicted| = {abs(measured - predicted):.0f} ms > {tolerance_ms(predicted):.0f} ms")
        print(f"netns.{name}: RTT {rtt:.1f} ms, verify {live}, asked {(dropped - asked) * 1000:.0f} ms before the drop: "
              f"measured {measured / 1000:.3f} s from the drop, predicted {predicted / 1000:.3f} s: {'FAIL' if problems else 'ok'}")
        for p in problems:
            print(f"  {p}")
        return 1 if problems else 0


def run_delayed_case(name):
    case, rtt_ms = CASES[name]
    with DelayedPair(name, FIRST_INDEX + list(CASES).index(name), rtt_ms) as net, PolicyFile(policy_text(name, case)) as policy:
        rtt, problems = rtt_problems(net, rtt_ms)
        run = Run(case, net, policy.path)
        try:
            run.start()
            found, summary = run.check()
            problems += found
        finally:
            run.close()
        rto_min = run.prediction["kernel"]["tcp_rto_min_ms"]
        if run.live is not None and run.live["rto_ms"] < rtt_ms + rto_min:
            problems.append(f"verify modelled an RTO of {run.live['rto_ms']} ms, below RTT + rto_min = {rtt_ms + rto_min} ms")
        return outcome(run, f"netns.{name}: RTT {rtt:.1f} ms, RTO {run.live and run.live['rto_ms']} ms: {summary}", problems)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in [*CASES, *STREAMING]:
        raise SystemExit(f"usage: run_delayed_case.py {'|'.join(CASES)}")
    if not PROGRAM:
        raise SystemExit("set TCPKEEP_SHIM, TCPKEEP_TOOL and TCPKEEP_NETNS_PROGRAM (ctest does)")
    def run():
        if not os.path.exists("/dev/net/tun"):
            raise CapabilityMissing("no /dev/net/tun (the delay line needs TUN devices)")
        return run_streaming_case(sys.argv[1]) if sys.argv[1] in STREAMING else run_delayed_case(sys.argv[1])

    return run_or_skip(sys.argv[1], run)


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join([*CASES, *STREAMING]))
        sys.exit(0)
    sys.exit(main())
