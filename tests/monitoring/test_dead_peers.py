"""Dead peers on the wire, as `tcpkeep watch` tells them and `audit --prometheus` counts them.

Each case runs a client (programs/dead_peer_client.py) in a network namespace and in a cgroup unit
of its own, talking to an echo server in a peer namespace that nftables then silences: keepalive
probes unanswered (cause keepalive, its silence within max(0.5 s, 10 %) of the prediction), data
unacknowledged with a user timeout (user_timeout) and without one under a low tcp_retries2
(retransmissions), a SYN to a silent port (syn_retries), and a peer that answers with RST (no
event). One `tcpkeep watch --json --keep-counters` sees all of them; the counters move by exactly
these, per unit."""
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import unittest

from monitortest import TestCgroup, parse_exposition
from netns_harness import CapabilityMissing, EchoServer, NetnsPair, Program, check_capabilities
from staging import staged_for
from tooltest import PYTHON, TOOL, as_nobody, main, require_root, tool

CLIENT = os.environ["TCPKEEP_DEAD_PEER_CLIENT"]
PROGRAM = os.path.basename(os.path.realpath(PYTHON))
PORT = 7100


class UnitCgroup:
    """A child cgroup named as a systemd unit; enter() wraps an argv like AttachedCgroup's."""

    def __init__(self, cgroup, unit):
        self.unit = unit
        self.directory = cgroup.mount + cgroup.child(unit)

    def enter(self, argv):
        return ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', self.directory, *argv]


class Watch:
    """`tcpkeep watch ARGS`, its events collected by a thread. It runs in a mount namespace of its own
    with a fresh BPF filesystem, so the counters it keeps are the test's alone and leave nothing on
    the host; tool_in() runs the tool there too."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                      'mount -t bpf bpf /sys/fs/bpf && exec "$0" watch "$@"', TOOL, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = self.proc.stderr.readline()
        if not ready.startswith("tcpkeep: watching every TCP connection"):
            self.proc.kill()
            raise AssertionError(f"tcpkeep watch did not start: {ready}{self.proc.stderr.read()}")
        self.events = queue.Queue()
        self.others_seen = []
        parse = json.loads if "--json" in args else str
        threading.Thread(target=lambda: [self.events.put(parse(line)) for line in self.proc.stdout], daemon=True).start()

    def of_unit(self, unit, first_within, then=1.0):
        """The events of `unit`: waits up to `first_within` seconds for the first (the watcher looks up
        the process and its namespace first, slow on a loaded machine), then `then` more for any
        other. The other units' events are kept for their cases."""
        mine, others, deadline = [], [], time.monotonic() + first_within
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event["unit"] != unit:
                others.append(event)
                continue
            if not mine:
                deadline = time.monotonic() + then
            mine.append(event)
        for event in others:
            self.events.put(event)
        self.others_seen = others  # for a failure's message: an event attributed to another unit
        return mine

    def lines(self, naming, first_within=15, then=1.0):
        """Text mode: every line until one names `naming` (at most `first_within` seconds), and `then` more."""
        lines, deadline = [], time.monotonic() + first_within
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.events.get(timeout=left)
            except queue.Empty:
                break
            if naming in line and not any(naming in seen for seen in lines):
                deadline = time.monotonic() + then
            lines.append(line)
        return lines

    def tool_in(self, *args):
        """The tool run in the watcher's mount namespace (its BPF filesystem)."""
        return subprocess.run(["nsenter", "-t", str(self.proc.pid), "-m", TOOL, *args], capture_output=True, text=True, timeout=120)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        return self.proc.returncode


class DeadPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.watch = None
        if os.geteuid() == 0:
            cls.watch = Watch("--json", "--keep-counters")

    @classmethod
    def tearDownClass(cls):
        if cls.watch:
            assert cls.watch.stop() == 0

    def setUp(self):
        require_root(self)
        try:
            check_capabilities()
        except CapabilityMissing as e:
            if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
                self.fail(str(e))
            self.skipTest(str(e))
        self.cgroup = TestCgroup(self, "tcpkeep-deadpeer")
        self.pair = NetnsPair(self._testMethodName[5:][:10], os.getpid() % 200 + list(self.cases()).index(self._testMethodName))
        self.pair.__enter__()
        self.addCleanup(self.pair.close)
        self.server = EchoServer(self.pair.peer_ns, self.pair.peer_addr, PORT)
        self.addCleanup(self.server.close)

    @staticmethod
    def cases():
        return sorted(name for name in dir(DeadPeers) if name.startswith("test_"))

    def counters(self):
        """tcpkeep_dead_peers_total by (unit, cause), and the silence summed, as audit --prometheus reports them."""
        r = self.watch.tool_in("audit", "--cgroup", self.cgroup.path, "--prometheus")
        self.assertEqual(r.returncode, 0, r.stderr)
        samples, _, types = parse_exposition(r.stdout)
        self.assertEqual(samples[("tcpkeep_dead_peer_counters_present", frozenset())], 1)
        self.assertEqual(types["tcpkeep_dead_peers_total"], "counter")
        return ({tuple(sorted(labels)): v for (name, labels), v in samples.items() if name == "tcpkeep_dead_peers_total"},
                {tuple(sorted(labels)): v for (name, labels), v in samples.items() if name == "tcpkeep_dead_peer_silence_seconds_total"})

    def run_case(self, unit_name, client_args, vanish="drop", before_connect=False, expect_error="ETIMEDOUT", wait=30, python=PYTHON):
        """The client in its unit; the peer silenced (before connect, or after the exchange); returns its events."""
        unit = f"tk{os.getpid()}-{unit_name}.service"
        before, _ = self.counters()
        if before_connect:
            self.pair.vanish(PORT, vanish)
        client = Program(self.pair.program_ns, [python, CLIENT, self.pair.peer_addr, str(PORT), *client_args], env=None,
                         cgroup=UnitCgroup(self.cgroup, unit))
        self.addCleanup(lambda: client.running() and client._proc.kill())
        if not before_connect:
            client.expect("exchanged", timeout=10)
            self.pair.vanish(PORT, vanish)
            client.go()
        client.expect(f"error {expect_error}", timeout=wait)
        client.expect("done")
        events = self.watch.of_unit(unit, first_within=3 if vanish == "reset" else 15)
        after, silence = self.counters()
        # The test's own units only: the host's other connections may die meanwhile.
        moved = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0) and dict(k)["unit"].startswith(f"tk{os.getpid()}-")}
        for event in events:
            self.assertEqual((event["pid"], event["program"], event["remote"], event["error"]),
                             (client.pid, os.path.basename(os.path.realpath(python)), f"{self.pair.peer_addr}:{PORT}", "Connection timed out"))
            self.assertRegex(event["local"], rf"^{re.escape(self.pair.program_addr)}:[1-9][0-9]*$")
            self.assertEqual(event["cgroup"], f"{self.cgroup.path}/{unit}")
            self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        return unit, events, moved, silence

    def assert_one(self, unit, events, moved, cause):
        self.assertEqual([e["cause"] for e in events], [cause], f"{events}; other units' events meanwhile: {self.watch.others_seen}")
        self.assertEqual(moved, {(("cause", cause), ("unit", unit)): 1})
        return events[0]

    def test_keepalive(self):
        unit, events, moved, silence = self.run_case("keepalive", ["--keepalive", "1,1,2"])
        event = self.assert_one(unit, events, moved, "keepalive")
        self.assertEqual(event["values"], {"keepalive": True, "idle_s": 1, "interval_s": 1, "count": 2, "user_timeout_ms": 0})
        self.assertEqual(event["predicted_ms"], 3000)  # idle 1 s + 2 probes 1 s apart
        self.assertLessEqual(abs(event["silence_ms"] - event["predicted_ms"]), max(500, event["predicted_ms"] // 10), event)
        self.assertGreaterEqual(silence[(("cause", "keepalive"), ("unit", unit))], event["silence_ms"] / 1000)

    def test_user_timeout(self):
        unit, events, moved, _ = self.run_case("usertimeout", ["--user-timeout", "3000", "--send"])
        event = self.assert_one(unit, events, moved, "user_timeout")
        self.assertEqual(event["values"]["user_timeout_ms"], 3000)
        self.assertGreater(event["retransmits"], 0)

    def test_retransmissions(self):
        self.pair.sysctl(self.pair.program_ns, "net.ipv4.tcp_retries2", 3)
        unit, events, moved, _ = self.run_case("retries", ["--send"])
        event = self.assert_one(unit, events, moved, "retransmissions")
        self.assertEqual(event["values"]["user_timeout_ms"], 0)
        self.assertGreater(event["retransmits"], 0)

    def test_syn_retries(self):
        self.pair.sysctl(self.pair.program_ns, "net.ipv4.tcp_syn_retries", 1)
        unit, events, moved, _ = self.run_case("syn", [], before_connect=True)
        self.assert_one(unit, events, moved, "syn_retries")

    def test_reset_is_no_dead_peer(self):
        unit, events, moved, _ = self.run_case("reset", ["--send", "--keepalive", "1,1,2"], vanish="reset", expect_error="ECONNRESET", wait=10)
        self.assertEqual((events, moved), ([], {}))


    def test_text_lines_of_a_hostile_program_name(self):
        # A program named "evil<LF>2026-... dead peer, forged": the text stream shows it on one line.
        staged = staged_for(self)
        python = staged.copy(os.path.realpath(PYTHON), "evil\n2026-01-01T00:00:00.000Z dead peer, forged")
        text = Watch()
        self.addCleanup(text.stop)
        unit, events, moved, _ = self.run_case("hostile", ["--keepalive", "1,1,2"], python=python)
        self.assert_one(unit, events, moved, "keepalive")
        lines = text.lines(naming=f"unit {unit},")
        (line,) = [line for line in lines if f"unit {unit}," in line]
        self.assertIn("(evil\\x0a2026-01-01T00:00:00.000Z dead peer, forged): silent ", line)
        self.assertEqual([line for line in lines if line.startswith("2026-01-01")], [])


class Refusals(unittest.TestCase):
    def test_counters_of_another_layout_are_left_alone(self):
        # In a mount namespace of its own with a fresh BPF filesystem: a map of another layout pinned
        # where the counters go is neither used by the keeper nor read by the audit (scoped to no
        # process: the counters are host-wide whatever the scope).
        require_root(self)
        script = ("mount -t bpf bpf /sys/fs/bpf && mkdir /sys/fs/bpf/tcpkeep && "
                  "bpftool map create /sys/fs/bpf/tcpkeep/dead-peers type hash key 8 value 8 entries 4 name other && "
                  '"$0" watch --keep-counters; echo "watch exit $?"; "$0" audit --prometheus --cgroup /tcpkeep-no-such-cgroup | grep "^tcpkeep_dead_peer"')
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, TOOL], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.stdout, "watch exit 2\ntcpkeep_dead_peer_counters_present 0\n", r.stderr)
        self.assertEqual(r.stderr, "tcpkeep: watch: /sys/fs/bpf/tcpkeep/dead-peers: pinned by another version of tcpkeep (another layout); "
                                   "remove it to count again\n")

    def test_watch_says_why_it_cannot_start(self):
        require_root(self)  # to become nobody
        staged = staged_for(self)
        r = tool("watch", prefix=as_nobody(), exe=staged.copy(TOOL))
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertTrue(r.stderr.startswith("tcpkeep: watch: "), r.stderr)
        self.assertIn("root", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)


if __name__ == "__main__":
    main()
