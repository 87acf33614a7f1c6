"""Cgroup mode's cost (root). One cgroup, in rounds, each variant in turn: the cgroup with nothing
attached; with the no-op programs (bench/noop_cgroup.bpf.c: the kernel's dispatch, which any
program of these types pays); under the floor preload (the five setsockopt calls in connect():
what the options cost whoever sets them); with the policy attached. Two workloads of
`connection_rate`, both ends in the cgroup, pinned to one CPU (a connection's two threads then
take turns instead of waking each other across CPUs, which in a VM varied runs by 10 %): the bare
loop (connect, abortive close: the worst case, a connection that costs nothing else) and a service's
connection (a 100-byte request and reply first). Medians of per-round ratios; many short rounds
(31 of 5,000 connections by default), as drift between the runs compared was most of the noise. The attached
programs' run time per connection from the kernel's BPF statistics (kernel.bpf_stats_enabled, on
for one extra run only, restored after); the time of replacing attaches of a 10,000-rule policy.
scripts/bench runs it through measure().

With --peer-rules, instead: the bare loop under policies of 100 to 32,768 peer rules against a
1-rule policy (peer_rule_ratios). With --existing: attach over 10,000 sockets that exist already,
against `tcpkeep apply` over the same (existing_socket_times; bench/socket_holder beside
CONNECTION_RATE).

Usage: cgroup_bench.py TCPKEEP CONNECTION_RATE PRINT_POLICY FLOOR_PRELOAD NOOP_OBJECT [ROUNDS] [CONNECTIONS] [--peer-rules | --existing]"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

STATS = "/proc/sys/kernel/bpf_stats_enabled"
SMALL_POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "60s"\ninterval = "10s"\ncount = 6\nuser_timeout = "auto"\n'


def mount_of(fstype):
    """The first mount point of a filesystem type in /proc/self/mounts."""
    with open("/proc/self/mounts") as f:
        return next(line.split()[1] for line in f if line.split()[2] == fstype)


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


class NoopPrograms:
    """The no-op sock_ops and cgroup/setsockopt programs, loaded once and pinned under bpffs (which
    attach mounts if it is not), attached to and detached from the cgroup like tcpkeep's."""
    KINDS = (("sock_ops", "noop_sockops"), ("setsockopt", "noop_setsockopt"))

    def __init__(self, obj, directory):
        self.pins, self.directory = os.path.join(mount_of("bpf"), f"tcpkeep-bench-noop-{os.getpid()}"), directory
        subprocess.run(["bpftool", "prog", "loadall", obj, self.pins], check=True, capture_output=True)

    def _cgroup(self, op, *extra, check=True):
        for kind, name in self.KINDS:
            subprocess.run(["bpftool", "cgroup", op, self.directory, kind, "pinned", os.path.join(self.pins, name), *extra], check=check,
                           capture_output=True)

    def attach(self):
        self._cgroup("attach", "multi")

    def detach(self):
        self._cgroup("detach")

    def remove(self):
        """Detached (if still attached) and unpinned."""
        self._cgroup("detach", check=False)
        shutil.rmtree(self.pins, ignore_errors=True)


def workloads(rate, connections):
    """name -> argv: the bare loop, and half as many connections each carrying a request and reply."""
    pin = ["taskset", "-c", str(max(os.sched_getaffinity(0)))]
    return {"bare": pin + [rate, str(connections)], "service": pin + [rate, "-x", "100", str(connections // 2)]}


def timed_rounds(tool, small, directory, noop, floor, argvs, rounds):
    """{workload: {variant: [wall s per round]}}, the variants in turn in every round."""
    times = {name: {"detached": [], "noop": [], "floor": [], "attached": []} for name in argvs}
    floor_env = dict(os.environ, LD_PRELOAD=floor)
    for _ in range(rounds):
        for name, argv in argvs.items():
            t = times[name]
            t["detached"].append(float(run_in(directory, argv)))
            t["floor"].append(float(run_in(directory, argv, env=floor_env)))
            noop.attach()
            t["noop"].append(float(run_in(directory, argv)))
            noop.detach()
            attach(tool, small, directory)
            t["attached"].append(float(run_in(directory, argv)))
            subprocess.run([tool, "detach", "--cgroup", directory], check=True, capture_output=True)
    return times


def ratios(t):
    """Medians of the variants' times and of the per-round ratios that matter."""
    r = lambda a, b: statistics.median(x / y for x, y in zip(t[a], t[b]))
    return dict({k: statistics.median(v) for k, v in t.items()}, ratio=r("attached", "detached"), noop_ratio=r("noop", "detached"),
                over_noop=r("attached", "noop"), floor_ratio=r("attached", "floor"))


def bpf_run_time(tool, small, directory, argv, connections):
    """(us, program runs) per connection of one attached run with the statistics on: they cost two
    clock reads per program run, so the timed runs have them off."""
    attach(tool, small, directory)
    with open(STATS, "w") as f:
        f.write("1")
    ns0, runs0 = bpf_totals(directory)
    run_in(directory, argv)
    ns1, runs1 = bpf_totals(directory)
    with open(STATS, "w") as f:
        f.write("0")
    return (ns1 - ns0) / connections / 1000, (runs1 - runs0) / connections


def measure(tool, rate, print_policy, floor, noop_object, rounds=31, connections=5000):
    """{"bare", "service": ratios() of each workload; "bpf_us", "bpf_runs": per bare connection;
    "attach_s": the median of 5 replacing attaches of a 10,000-rule policy}."""
    directory = os.path.join(mount_of("cgroup2"), f"tcpkeep-bench-{os.getpid()}")
    os.mkdir(directory)
    with open(STATS) as f:
        stats_before = f.read().strip()
    noop = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small, big = os.path.join(tmp, "small.toml"), os.path.join(tmp, "big.toml")
            with open(small, "w") as f:
                f.write(SMALL_POLICY)
            peer_port_policy(print_policy, big, 10000)
            attach(tool, small, directory)  # mounts bpffs if it is not
            subprocess.run([tool, "detach", "--cgroup", directory], check=True, capture_output=True)
            noop = NoopPrograms(noop_object, directory)
            argvs = workloads(rate, connections)
            times = timed_rounds(tool, small, directory, noop, floor, argvs, rounds)
            bpf_us, bpf_runs = bpf_run_time(tool, small, directory, argvs["bare"], connections)
            attach_s = []
            for _ in range(5):
                started = time.monotonic()
                attach(tool, big, directory)
                attach_s.append(time.monotonic() - started)
    finally:
        with open(STATS, "w") as f:
            f.write(stats_before)
        subprocess.run([tool, "detach", "--cgroup", directory], capture_output=True)
        if noop:
            noop.remove()
        os.rmdir(directory)
    return dict({name: ratios(t) for name, t in times.items()}, bpf_us=bpf_us, bpf_runs=bpf_runs, attach_s=statistics.median(attach_s))


def peer_rule_ratios(tool, rate, print_policy, sizes=(100, 1000, 10000, 32768), rounds=5, connections=3000):
    """{rules: (median of the per-round bare-loop time ratios, N-rule policy / 1-rule policy, the
    medians of both, and the programs' run time per connection in us under each)}: the synthetic policies of print_policy every-rule-active, whose rules all
    have peers (two blocks each: N rules are 2N peer entries, 32,768 rules the 65,536 the old
    candidate table held) that a loopback connection never matches, so each connection looks its
    peer up and falls back to [defaults]. The two policies alternate round by round."""
    directory = os.path.join(mount_of("cgroup2"), f"tcpkeep-bench-peers-{os.getpid()}")
    os.mkdir(directory)
    with open(STATS) as f:
        stats_before = f.read().strip()
    argv = workloads(rate, connections)["bare"]
    out = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            one = os.path.join(tmp, "1.toml")
            peer_port_policy(print_policy, one, 1)
            for n in sizes:
                big = os.path.join(tmp, f"{n}.toml")
                peer_port_policy(print_policy, big, n)
                times = {"one": [], "big": []}
                for _ in range(rounds):
                    for name, policy in (("one", one), ("big", big)):
                        attach(tool, policy, directory)
                        times[name].append(float(run_in(directory, argv)))
                ratio = statistics.median(b / o for b, o in zip(times["big"], times["one"]))
                # The programs' own time per connection, which the machine's noise moves far less.
                bpf = [bpf_run_time(tool, policy, directory, argv, connections)[0] for policy in (big, one)]
                out[n] = (ratio, statistics.median(times["big"]), statistics.median(times["one"]), *bpf)
    finally:
        with open(STATS, "w") as f:
            f.write(stats_before)
        subprocess.run([tool, "detach", "--cgroup", directory], capture_output=True)
        os.rmdir(directory)
    return out


def existing_socket_times(tool, holder, processes=625, sockets=16, repeats=3):
    """(attach s, apply s, sockets): attaching to a cgroup whose processes already hold
    processes x sockets loopback TCP sockets (bench/socket_holder), which the attach then gives the
    policy through the TCP iterator, against `tcpkeep apply` over the same processes (pidfd_getfd
    and setsockopt on each socket); medians of `repeats`, each from the sockets' defaults (a
    detach leaves the values, so every repeat starts a fresh holder)."""
    directory = os.path.join(mount_of("cgroup2"), f"tcpkeep-bench-existing-{os.getpid()}")
    os.mkdir(directory)
    attach_s, apply_s = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small = os.path.join(tmp, "small.toml")
            with open(small, "w") as f:
                f.write(SMALL_POLICY.replace('"auto"', '"30s"'))
            for _ in range(repeats):
                for variant in ("attach", "apply"):
                    proc = subprocess.Popen([holder, str(processes), str(sockets)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                            preexec_fn=lambda: open(os.path.join(directory, "cgroup.procs"), "w").write("0"))
                    try:
                        if proc.stdout.readline().strip() != "ready":
                            sys.exit("socket_holder did not start")
                        started = time.monotonic()
                        if variant == "attach":
                            r = subprocess.run([tool, "attach", "--policy", small, "--cgroup", directory], capture_output=True, text=True)
                            attach_s.append(time.monotonic() - started)
                            subprocess.run([tool, "detach", "--cgroup", directory], capture_output=True)
                            # (the iterator also sees each listener's one queued, not yet accepted connection)
                            found = re.search(r"existing sockets: (\d+) set", r.stdout)
                            if not found or int(found.group(1)) < processes * sockets:
                                sys.exit(f"attach did not set every existing socket: {r.stdout} {r.stderr}")
                        else:
                            r = subprocess.run([tool, "apply", os.path.basename(holder), "--policy", small], capture_output=True, text=True)
                            apply_s.append(time.monotonic() - started)
                            if r.returncode != 0:
                                sys.exit(f"apply failed ({r.returncode}): {r.stderr[-500:]}")
                    finally:
                        proc.stdin.close()
                        proc.wait()
    finally:
        subprocess.run([tool, "detach", "--cgroup", directory], capture_output=True)
        for _ in range(100):
            try:
                os.rmdir(directory)
                break
            except OSError:
                time.sleep(0.05)
    return statistics.median(attach_s), statistics.median(apply_s), processes * sockets


def main():
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tool, rate, print_policy, floor, noop_object = args[:5]
    peer_rules = "--peer-rules" in flags
    rounds = int(args[5]) if len(args) > 5 else 5 if peer_rules else 31
    connections = int(args[6]) if len(args) > 6 else 3000 if peer_rules else 5000
    if not cgroup_mode_built(tool):
        sys.exit(f"{tool} was built without cgroup mode")
    if peer_rules:
        for n, (ratio, big, one, big_us, one_us) in peer_rule_ratios(tool, rate, print_policy, rounds=rounds, connections=connections).items():
            print(f"bare loop, {connections} connections, {rounds} rounds: {n} peer rules ({2 * n} peer entries) / 1-rule policy {ratio:.3f} "
                  f"({big:.3f} s / {one:.3f} s); BPF run time per connection {big_us:.2f} / {one_us:.2f} us")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return
    if "--existing" in flags:
        holder = os.path.join(os.path.dirname(os.path.abspath(rate)), "socket_holder")
        attach_s, apply_s, n = existing_socket_times(tool, holder)
        print(f"{n} existing sockets (625 processes): attach {attach_s:.3f} s (TCP iterator), apply by pidfd_getfd {apply_s:.3f} s, "
              f"attach / apply {attach_s / apply_s:.3f}")
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        return
    m = measure(tool, rate, print_policy, floor, noop_object, rounds, connections)
    for name, what in (("bare", f"{connections} bare connections"), ("service", f"{connections // 2} connections with a request and reply")):
        w = m[name]
        print(f"{what}, {rounds} rounds, wall s: detached {w['detached']:.3f}, no-op programs {w['noop']:.3f}, floor preload "
              f"{w['floor']:.3f}, attached {w['attached']:.3f}; attached / detached {w['ratio']:.3f}, no-op / detached "
              f"{w['noop_ratio']:.3f}, attached / no-op {w['over_noop']:.3f}, attached / floor {w['floor_ratio']:.3f}")
    print(f"BPF run time: {m['bpf_us']:.2f} us per bare connection ({m['bpf_runs']:.1f} program runs, both ends in the cgroup)")
    print(f"attach (replace) of a 10,000-rule policy: median {m['attach_s']:.2f} s of 5")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
