"""Runs one case of cases.py: the program loses its peer, and its blocked call must fail when
`tcpkeep explain --json` (run in the program's namespace, so it reads that namespace's sysctls), or
for the live cases `tcpkeep verify --pid` of the running program (the tool enters its namespace),
predicts: |measured - predicted| <= max(0.5 s, 10 %) (verify's: of the window between asking it and
its answer, as it reads the socket somewhere in there), with the expected errno.

    run_case.py CASE    exit 0 pass, 1 fail, 77 cannot run here (skip; with TCPKEEP_REQUIRE_NETNS=1 a failure)

Environment (ctest sets it): TCPKEEP_SHIM, TCPKEEP_TOOL, TCPKEEP_NETNS_PROGRAM (blocking_client),
TCPKEEP_NETNS_PROGRAM_STATIC (blocking_client linked -static, for the cgroup-mode cases).
"""
import json
import os
import re
import subprocess
import sys
import time

from cases import CASES
from netns_harness import AttachedCgroup, CapabilityMissing, EchoServer, NetnsPair, Program, check_capabilities, socket_in
from tcpkeep_test import SHIM, TOOL, PolicyFile, shim_env

PROGRAM = os.environ.get("TCPKEEP_NETNS_PROGRAM", "")
PROGRAM_STATIC = os.environ.get("TCPKEEP_NETNS_PROGRAM_STATIC", "")  # cgroup cases: the same, linked -static
PORT = 7777  # every test has namespaces of its own, so a fixed port never clashes
SKIP = 77
# explain's timer events before the failure, per mode: printed when a case fails
TIMELINE = {"idle": "probe_times_ms", "serve": "probe_times_ms", "busy": "retransmit_times_ms", "connect": "syn_times_ms"}


def tolerance_ms(predicted_ms):
    return max(500.0, 0.1 * predicted_ms)


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


def policy_text(name, case):
    # cgroup mode selects by cgroup and refuses `process`
    process = [] if case.cgroup else ['process = ["blocking_client"]']
    lines = ["version = 1", "[[rule]]", f'name = "netns {name}"', f'direction = "{case.direction}"', f"ports = [{PORT}]", *process]
    lines += [f"{key} = {toml_value(value)}" for key, value in case.settings.items()]
    return "\n".join(lines) + "\n"


def explain(net, policy, case):
    argv = ["ip", "netns", "exec", net.program_ns, TOOL, "explain", "--json", "--policy", policy, "--process",
            "blocking_client", "--direction", case.direction, "--port", str(PORT), "--peer", net.peer_addr]
    r = subprocess.run(argv, env=shim_env(preload=False), capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr}")
    prediction = json.loads(r.stdout)
    if prediction["action"] != "apply":  # the prediction would be about an untouched socket
        raise AssertionError(f"explain: the test's policy does not apply to the program: {r.stdout}")
    return prediction


class Run:
    """One case from namespace setup to the program's result line."""

    def __init__(self, case, net, policy):
        self.case, self.net = case, net
        for key, value in case.sysctls.items():
            net.sysctl(net.program_ns, key, value)
        self.prediction = explain(net, policy, case)
        self.predicted = self.prediction[case.predicted_by] if case.predict_with == "explain" else None  # verify: in start()
        self.env = shim_env(policy, log="debug") if case.shim and not case.cgroup else shim_env(preload=False)
        self.sockets = ""  # `ss` right after the peer vanished, for failure reports
        self.program = self.peer = None
        self.live = None  # verify's dead_peer, for predict_with = "verify"
        # verify reads TCP_INFO at some moment while it runs: its prediction holds for a start in
        # [predicted, predicted + sample_window] (idle: counted from the program's "ready")
        self.sample_window = 0.0
        self.cgroup = AttachedCgroup(TOOL, policy, case.mode) if case.cgroup else None

    def start(self):
        """Starts the program, does the exchange and makes the peer vanish."""
        net, case = self.net, self.case
        if case.mode == "connect":
            net.vanish(PORT)
        if case.mode in ("idle", "busy"):
            self.peer = EchoServer(net.peer_ns, net.peer_addr, PORT)
        target = net.program_addr if case.mode == "serve" else net.peer_addr
        program = PROGRAM_STATIC if case.cgroup else PROGRAM
        self.program = Program(net.program_ns, [program, case.mode, target, str(PORT)], self.env, cgroup=self.cgroup)
        if case.mode == "serve":
            self.program.expect("listening")
            self.peer = socket_in(net.peer_ns)
            self.peer.connect((net.program_addr, PORT))
            self.peer.sendall(b"ping\n")
        if case.mode != "connect":
            self.program.expect("ready")
            if case.predict_with == "verify":
                self.predict_live()
            net.vanish(PORT, case.vanish)
            self.program.go()
        self.sockets = net.sockets(net.program_ns, PORT)

    def predict_live(self):
        """verify's dead_peer for the program's connection; idle: asked half-way through the idle time,
        and the time already passed since the program's T0 (its "ready") added back. verify reads the
        socket somewhere between being asked and answering (a loaded machine can stretch that): the
        prediction is a window that long."""
        ready = time.monotonic()
        if self.case.mode == "idle":
            time.sleep(self.prediction["values"]["idle_s"]["value"] / 2)
        asked = time.monotonic()
        argv = [TOOL, "verify", "--pid", str(self.program.pid), "--json"]
        r = subprocess.run(argv, env=shim_env(preload=False), capture_output=True, text=True, timeout=20)
        answered = time.monotonic()
        if r.returncode not in (0, 1):
            raise AssertionError(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr}")
        connection = [s for s in json.loads(r.stdout)["sockets"] if s["remote"].endswith(f":{PORT}")]
        if len(connection) != 1:
            raise AssertionError(f"verify: expected one connection to port {PORT}: {r.stdout}")
        self.live = connection[0]["dead_peer"]
        self.predicted = self.live[self.case.predicted_by]
        if self.case.mode == "idle":
            self.predicted += (asked - ready) * 1000
            self.sample_window = (answered - asked) * 1000

    def close(self):
        if self.program is not None:
            self.program.stop()
        if self.peer is not None:
            self.peer.close()
        if self.cgroup is not None:
            self.cgroup.close()

    def check(self):
        """Waits for the program's verdict; returns a list of problems (empty: pass) and the summary."""
        program = self.program
        tolerance = tolerance_ms(self.predicted)
        if not self.case.shim:
            window = (self.predicted + tolerance) / 1000 + 1
            line = program.next_line(window)
            summary = f"no detection within {window:.1f} s without the shim (with it: {self.predicted / 1000:.3f} s)"
            if line is not None or not program.running():
                return [f"without the shim the program did not stay blocked: {line!r}"], summary
            return [], summary
        line = program.next_line((self.predicted + tolerance) / 1000 + 3)
        m = re.fullmatch(r"result errno=(\S+) elapsed_ms=(\S+) vanished_ms=(\S+)", line or "")
        if not m:
            return [f"no result line from the program in time (got {line!r})"], "no result"
        errno, measured, vanished = m.group(1), float(m.group(2)), float(m.group(3))
        window = f" to {(self.predicted + self.sample_window) / 1000:.3f} s" if self.sample_window else ""
        summary = (f"measured {measured / 1000:.3f} s, predicted {self.predicted / 1000:.3f} s{window} "
                   f"({self.case.predicted_by}), errno {errno}")
        problems = []
        if errno != self.case.errno:
            problems.append(f"errno {errno}, expected {self.case.errno}")
        off = max(self.predicted - measured, measured - (self.predicted + self.sample_window), 0.0)
        if off > tolerance:
            problems.append(f"measured {off:.0f} ms off the predicted window > {tolerance:.0f} ms")
        probes = self.prediction["probe_times_ms"]
        if self.case.mode in ("idle", "serve") and probes and vanished >= probes[0]:
            problems.append(f"the peer vanished {vanished:.0f} ms after the last segment, after the first probe")
        return problems, summary

    def report(self):
        timeline = TIMELINE[self.case.mode]
        print(f"  explain: {self.case.predicted_by} = {self.predicted}, {timeline} = {self.prediction[timeline]}, "
              f"values = { {k: v['value'] for k, v in self.prediction['values'].items()} }, "
              f"kernel = {self.prediction['kernel']}")
        if self.live is not None:
            print(f"  verify dead_peer: {self.live}")
        print(f"  ss in {self.net.program_ns} after the peer vanished:\n{self.sockets.rstrip()}")
        print(f"  program stderr:\n{self.program.stderr()}")


def run_case(name):
    case = CASES[name]
    index = list(CASES).index(name) + 1
    with NetnsPair(name, index) as net, PolicyFile(policy_text(name, case)) as policy:
        run = Run(case, net, policy.path)
        try:
            run.start()
            problems, summary = run.check()
        finally:
            run.close()
        return outcome(run, f"netns.{name}: {summary}", problems)


def outcome(run, line, problems):
    """Prints the case's line and its problems (with the run's report when there are any): its exit status."""
    print(f"{line}: {'FAIL' if problems else 'ok'}")
    for p in problems:
        print(f"  {p}")
    if problems:
        run.report()
    return 1 if problems else 0


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        raise SystemExit(f"usage: run_case.py {'|'.join(CASES)}")
    missing = [n for n, v in (("TCPKEEP_SHIM", SHIM), ("TCPKEEP_TOOL", TOOL), ("TCPKEEP_NETNS_PROGRAM", PROGRAM)) if not v]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (ctest does)")
    return run_or_skip(sys.argv[1], lambda: run_case(sys.argv[1]))


def run_or_skip(name, run):
    """run() after the capability check: its status, or a skip (a failure under TCPKEEP_REQUIRE_NETNS=1)
    when the machine lacks what the case needs."""
    try:
        check_capabilities()
        return run()
    except CapabilityMissing as e:
        if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
            print(f"netns.{name}: FAIL: cannot run: {e} (TCPKEEP_REQUIRE_NETNS=1 makes this a failure)")
            return 1
        print(f"netns.{name}: SKIP: {e} (set TCPKEEP_REQUIRE_NETNS=1 to make this a failure)")
        return SKIP


if __name__ == "__main__":
    sys.exit(main())
