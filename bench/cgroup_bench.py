"""Cgroup mode's cost (root): connection rate in an attached cgroup against the same kind of cgroup
without an attachment, plain and with the floor preload (the five setsockopt calls in connect(),
the unavoidable cost of the options themselves), side by side (A B C A B C ..., median ratios);
BPF run time per connection from the kernel's BPF statistics; attach time of a 10,000-rule policy.
Usage: cgroup_bench.py TCPKEEP CONNECTION_RATE PRINT_POLICY FLOOR_PRELOAD [ROUNDS] [CONNECTIONS]"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

tool, rate, print_policy, floor = sys.argv[1:5]
pairs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
connections = int(sys.argv[6]) if len(sys.argv) > 6 else 20000


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        return next(line.split()[1] for line in f if line.split()[2] == "cgroup2")


def run_in(directory, argv, env=None):
    def enter():
        with open(os.path.join(directory, "cgroup.procs"), "w") as f:
            f.write("0")
    return subprocess.run(argv, preexec_fn=enter, capture_output=True, text=True, check=True, env=env).stdout


def bpf_totals(directory):
    """(run_time_ns, run_cnt) summed over the programs attached to the cgroup directory."""
    attached = json.loads(subprocess.run(["bpftool", "-j", "cgroup", "show", directory], capture_output=True, text=True, check=True).stdout)
    total_ns = total_runs = 0
    for prog in attached:
        info = json.loads(subprocess.run(["bpftool", "-j", "prog", "show", "id", str(prog["id"])], capture_output=True, text=True,
                                         check=True).stdout)
        total_ns += info.get("run_time_ns", 0)
        total_runs += info.get("run_cnt", 0)
    return total_ns, total_runs


def main():
    mount = cgroup2_mount()
    with tempfile.TemporaryDirectory() as tmp:
        policy = os.path.join(tmp, "policy.toml")
        with open(policy, "w") as f:
            f.write('version = 1\n[defaults]\nkeepalive = true\nidle = "60s"\ninterval = "10s"\ncount = 6\nuser_timeout = "auto"\n')
        big = os.path.join(tmp, "big.toml")
        text = subprocess.run([print_policy, "10000", "every-rule-active"], capture_output=True, text=True, check=True).stdout
        with open(big, "w") as f:
            f.write("".join(line for line in text.splitlines(True) if not line.startswith("process")))
        attached, plain = (os.path.join(mount, f"tcpkeep-bench-{os.getpid()}-{n}") for n in ("attached", "plain"))
        for d in (attached, plain):
            os.mkdir(d)
        stats_file = "/proc/sys/kernel/bpf_stats_enabled"
        with open(stats_file) as f:
            stats_before = f.read().strip()
        try:
            subprocess.run([tool, "attach", "--policy", policy, "--cgroup", attached], check=True, capture_output=True)
            with open(stats_file, "w") as f:
                f.write("1")
            ratios, floor_ratios, with_bpf, without, with_floor = [], [], [], [], []
            floor_env = dict(os.environ, LD_PRELOAD=floor)
            ns0, runs0 = bpf_totals(attached)
            for _ in range(pairs):
                a = float(run_in(attached, [rate, str(connections)]))
                b = float(run_in(plain, [rate, str(connections)]))
                c = float(run_in(plain, [rate, str(connections)], env=floor_env))
                with_bpf.append(a)
                without.append(b)
                with_floor.append(c)
                ratios.append(a / b)
                floor_ratios.append(a / c)
            ns1, runs1 = bpf_totals(attached)
            print(f"connection rate, {connections} loopback connections, {pairs} rounds: attached {statistics.median(with_bpf):.3f} s, "
                  f"not attached {statistics.median(without):.3f} s, not attached + floor preload {statistics.median(with_floor):.3f} s; "
                  f"attached / not attached {statistics.median(ratios):.3f}, attached / floor {statistics.median(floor_ratios):.3f}")
            print(f"BPF run time: {(ns1 - ns0) / (pairs * connections) / 1000:.2f} us per connection "
                  f"({(runs1 - runs0) / (pairs * connections):.1f} program runs per connection, both ends in the cgroup)")
            times = []
            for _ in range(5):
                started = time.monotonic()
                subprocess.run([tool, "attach", "--policy", big, "--cgroup", attached], check=True, capture_output=True)
                times.append(time.monotonic() - started)
            print(f"attach (replace) of a 10,000-rule policy: median {statistics.median(times):.2f} s of 5")
        finally:
            with open(stats_file, "w") as f:
                f.write(stats_before)
            subprocess.run([tool, "detach", "--cgroup", attached], capture_output=True)
            for d in (attached, plain):
                os.rmdir(d)


if __name__ == "__main__":
    main()
