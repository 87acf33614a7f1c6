"""Cgroup mode's cost (root). One cgroup, in rounds: `connection_rate` with the policy attached, the
same cgroup with it detached, and there under the floor preload (the five setsockopt calls in
connect(): what the options cost whoever sets them); median ratios. The attached programs' run time
per connection from the kernel's BPF statistics (kernel.bpf_stats_enabled, on for one extra run only,
restored after); the
time of replacing attaches of a 10,000-rule policy. scripts/bench runs it through measure().

Usage: cgroup_bench.py TCPKEEP CONNECTION_RATE PRINT_POLICY FLOOR_PRELOAD [ROUNDS] [CONNECTIONS]"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

STATS = "/proc/sys/kernel/bpf_stats_enabled"
SMALL_POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "60s"\ninterval = "10s"\ncount = 6\nuser_timeout = "auto"\n'


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        return next(line.split()[1] for line in f if line.split()[2] == "cgroup2")


def cgroup_mode_built(tool):
    """False when this tcpkeep was built without cgroup mode (its commands then say so)."""
    r = subprocess.run([tool, "attached"], capture_output=True, text=True)
    return "cgroup mode is not in this build" not in r.stderr


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


def peer_port_policy(print_policy, path, rules):
    """The synthetic policy with every rule active: peers, ports and directions, no `process` (which
    cgroup mode refuses)."""
    text = subprocess.run([print_policy, str(rules), "every-rule-active"], capture_output=True, text=True, check=True).stdout
    if any(line.startswith("process") for line in text.splitlines()):
        sys.exit("print_policy every-rule-active wrote `process` lines: cgroup mode would refuse the policy")
    with open(path, "w") as f:
        f.write(text)


def attach(tool, policy, directory):
    subprocess.run([tool, "attach", "--policy", policy, "--cgroup", directory], check=True, capture_output=True)


def measure(tool, rate, print_policy, floor, rounds=5, connections=20000):
    """{"attached", "detached", "floor": median wall s; "ratio", "floor_ratio": median per-round ratios
    attached / detached and attached / floor; "bpf_us", "bpf_runs": per connection; "attach_s": the
    median of 5 replacing attaches of a 10,000-rule policy}."""
    directory = os.path.join(cgroup2_mount(), f"tcpkeep-bench-{os.getpid()}")
    os.mkdir(directory)
    with open(STATS) as f:
        stats_before = f.read().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small, big = os.path.join(tmp, "small.toml"), os.path.join(tmp, "big.toml")
            with open(small, "w") as f:
                f.write(SMALL_POLICY)
            peer_port_policy(print_policy, big, 10000)
            times = {"attached": [], "detached": [], "floor": []}
            argv, floor_env = [rate, str(connections)], dict(os.environ, LD_PRELOAD=floor)
            for _ in range(rounds):
                attach(tool, small, directory)
                times["attached"].append(float(run_in(directory, argv)))
                subprocess.run([tool, "detach", "--cgroup", directory], check=True, capture_output=True)
                times["detached"].append(float(run_in(directory, argv)))
                times["floor"].append(float(run_in(directory, argv, env=floor_env)))
            # The statistics cost two clock reads per program run: on only for this run, not the timed ones.
            attach(tool, small, directory)
            with open(STATS, "w") as f:
                f.write("1")
            ns0, runs0 = bpf_totals(directory)
            run_in(directory, argv)
            ns1, runs1 = bpf_totals(directory)
            with open(STATS, "w") as f:
                f.write("0")
            bpf_ns, bpf_runs = ns1 - ns0, runs1 - runs0
            attach_s = []
            for _ in range(5):
                started = time.monotonic()
                attach(tool, big, directory)
                attach_s.append(time.monotonic() - started)
    finally:
        with open(STATS, "w") as f:
            f.write(stats_before)
        subprocess.run([tool, "detach", "--cgroup", directory], capture_output=True)
        os.rmdir(directory)
    medians = {k: statistics.median(v) for k, v in times.items()}
    pairs = list(zip(times["attached"], times["detached"], times["floor"]))
    return dict(medians, ratio=statistics.median(a / d for a, d, _ in pairs), floor_ratio=statistics.median(a / f for a, _, f in pairs),
                bpf_us=bpf_ns / connections / 1000, bpf_runs=bpf_runs / connections,
                attach_s=statistics.median(attach_s))


def main():
    tool, rate, print_policy, floor = sys.argv[1:5]
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    connections = int(sys.argv[6]) if len(sys.argv) > 6 else 20000
    if not cgroup_mode_built(tool):
        sys.exit(f"{tool} was built without cgroup mode")
    m = measure(tool, rate, print_policy, floor, rounds, connections)
    print(f"connection rate, {connections} loopback connections, {rounds} rounds: attached {m['attached']:.3f} s, "
          f"the same cgroup detached {m['detached']:.3f} s, detached + floor preload {m['floor']:.3f} s; "
          f"attached / detached {m['ratio']:.3f}, attached / floor {m['floor_ratio']:.3f}")
    print(f"BPF run time: {m['bpf_us']:.2f} us per connection ({m['bpf_runs']:.1f} program runs per connection, both ends in the cgroup)")
    print(f"attach (replace) of a 10,000-rule policy: median {m['attach_s']:.2f} s of 5")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
