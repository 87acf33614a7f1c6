"""What `tcpkeep watch`'s host-wide program (bpf/deadpeer.bpf.c) costs a connection (root): the
bare `connection_rate` loop (connect, abortive close: every connection passes the tracepoint on each
state change, and its reset reaches the program's sk_err test, the worst case), pinned to one CPU,
in alternating rounds without and with `tcpkeep watch` running. Medians of per-round ratios (many
short rounds: drift between the runs compared was most of the noise); the program's own run time
per invocation from the kernel's BPF statistics (kernel.bpf_stats_enabled, on for one extra run
only, restored after).

Usage: dead_peer_cost.py BUILD_DIR [ROUNDS] [CONNECTIONS]   (default: 31 rounds of 5,000)"""
import json
import os
import statistics
import subprocess
import sys

STATS = "/proc/sys/kernel/bpf_stats_enabled"


def rate(program, connections):
    out = subprocess.run(["taskset", "-c", "0", program, str(connections)], capture_output=True, text=True, check=True).stdout
    return float(out.split()[0])


class Watching:
    """`tcpkeep watch` running (its program attached) for the duration of a with-block."""

    def __init__(self, tool):
        self.tool = tool

    def __enter__(self):
        self.proc = subprocess.Popen([self.tool, "watch"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not self.proc.stderr.readline().startswith("tcpkeep: watching"):
            self.proc.kill()
            sys.exit(f"tcpkeep watch did not start: {self.proc.stderr.read()}")
        return self

    def program_stats(self):
        """(run_time_ns, run_cnt) of the tracing program named tk_dead_peer_seen."""
        for prog in json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True, check=True).stdout):
            if prog.get("name", "").startswith("tk_dead_peer"):
                return prog.get("run_time_ns", 0), prog.get("run_cnt", 0)
        return 0, 0

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main():
    build = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 31
    connections = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    tool, program = os.path.join(build, "tools", "tcpkeep"), os.path.join(build, "bench", "connection_rate")
    without, watched, ratios = [], [], []
    for _ in range(rounds):
        bare = rate(program, connections)
        with Watching(tool):
            seen = rate(program, connections)
        without.append(bare)
        watched.append(seen)
        ratios.append(seen / bare)
    with open(STATS) as f:
        stats_before = f.read().strip()
    try:
        with open(STATS, "w") as f:
            f.write("1")
        with Watching(tool) as w:
            rate(program, connections)
            run_ns, runs = w.program_stats()
    finally:
        with open(STATS, "w") as f:
            f.write(stats_before)
    print("| connections per round | without, s | with watch, s | with / without (median of rounds) | program runs per connection | ns per run |")
    print("|---|---|---|---|---|---|")
    print(f"| {connections} | {statistics.median(without):.4f} | {statistics.median(watched):.4f} | {statistics.median(ratios):.4f} | "
          f"{runs / connections:.1f} | {run_ns / runs if runs else 0:.0f} |")
    print(f"\n{rounds} rounds, pinned to CPU 0; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
