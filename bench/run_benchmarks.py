"""Runs every benchmark side by side and prints the table of BENCHMARKS.md.

Timings alternate the variants (A B C A B C ...; execs one by one) and report medians, as ratios
against references measured in the same run: no preload, and the floor preload (SO_TYPE check +
five setsockopt in connect(), nothing else). Instruction counts (callgrind) are deterministic.
Usage: run_benchmarks.py BUILD_DIR [ROUNDS]
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile

import cgroup_bench

build = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
bench = os.path.join(build, "bench")
variants = {"none": None, "floor": os.path.join(bench, "libfloor_preload.so"),
            "libtcpkeep": os.path.join(build, "lib", "tcpkeep", "libtcpkeep.so")}


def env_for(preload):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCPKEEP_") and k != "LD_PRELOAD"}
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def connection_rate(connections=20000):
    times = {name: [] for name in variants}
    for _ in range(rounds):
        for name, preload in variants.items():
            out = subprocess.run([os.path.join(bench, "connection_rate"), str(connections)], env=env_for(preload),
                                 capture_output=True, text=True, check=True).stdout
            times[name].append(float(out))
    return {name: statistics.median(t) for name, t in times.items()}


def loopback_policy(rules, port):
    """All five options in [defaults] and in every rule, so every connection makes the same five
    setsockopt calls whichever matches: rule k covers 127.(k >> 8).(k & 255).0/24 on `port`."""
    text = ('version = 1\n[defaults]\nkeepalive = true\nidle = "60s"\ninterval = "10s"\ncount = 6\n'
            'user_timeout = "auto"\n')
    return text + "".join(f'[[rule]]\nname = "loopback {k}"\ndirection = "outbound"\nports = [{port}]\n'
                          f'peers = ["127.{k >> 8}.{k & 255}.0/24"]\nidle = "{10 + k % 500}s"\n' for k in range(rules))


def connection_rate_by_policy(policy_rules=(1, 10000), destinations=4096, connections=20000):
    """libtcpkeep with a 1-rule and a 10,000-rule policy, connections spread over `destinations`
    loopback addresses (each its own rule in the large policy): the decision's cost end to end."""
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        port = s.getsockname()[1]
    program = os.path.join(bench, "connection_rate")
    with tempfile.TemporaryDirectory() as tmp:
        envs = {}
        for rules in policy_rules:
            path = os.path.join(tmp, f"{rules}.toml")
            with open(path, "w") as f:
                f.write(loopback_policy(rules, port))
            envs[rules] = dict(env_for(variants["libtcpkeep"]), TCPKEEP_POLICY=path)
            # The policy must be the one deciding: the third destination is rule "loopback 2" (or defaults).
            log = subprocess.run([program, "3", str(destinations), str(port)], env=dict(envs[rules], TCPKEEP_LOG="debug"),
                                 capture_output=True, text=True, check=True).stderr
            expected = 'rule "loopback 2"' if rules > 2 else 'rule "[defaults]"'
            if f"outbound 127.0.2.1 port {port}: {expected}" not in log:
                sys.exit(f"the {rules}-rule policy did not decide as expected:\n{log}")
        times = {rules: [] for rules in policy_rules}
        for _ in range(rounds):
            for rules, env in envs.items():
                out = subprocess.run([program, str(connections), str(destinations), str(port)], env=env,
                                     capture_output=True, text=True, check=True).stdout
                times[rules].append(float(out))
    return {rules: statistics.median(t) for rules, t in times.items()}


def exec_tax(program, reps=200):
    args = [os.path.join(bench, "exec_tax"), program, str(rounds), str(reps)] + [p or "none" for p in variants.values()]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    return {name: float(out[2 * i + 1]) for i, name in enumerate(variants)}


def instructions(*command):
    counts = {}
    for name, preload in variants.items():
        err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                             env=env_for(preload), capture_output=True, text=True).stderr
        counts[name] = int(re.search(r"Collected : (\d+)", err).group(1))
    return counts


def instructions_per_connection():
    """User-space instructions of one connection (connect side and accept side): the difference
    between 3,000 and 1,000 connections, over 2,000, so the start-up cancels out."""
    program = os.path.join(bench, "connection_rate")
    few, many = instructions(program, "1000"), instructions(program, "3000")
    return {name: (many[name] - few[name]) / 2000 for name in variants}


def decision(processes=7):
    """Medians over several processes: where the heap puts the tables (address randomisation) moves
    a run's figures by up to ~5 %, more than the repetitions inside one process show.
    Returns {("BM_Decide", "10000"): ns, ...} and the 10,000/1 ratios of each process by shape."""
    runs = []
    for _ in range(processes):
        out = subprocess.run([os.path.join(bench, "decision_bench"), "--benchmark_repetitions=3", "--benchmark_min_time=0.2",
                              "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                             capture_output=True, text=True, check=True).stdout
        runs.append({tuple(b["run_name"].split("/")): b["cpu_time"] for b in json.loads(out)["benchmarks"]
                     if b["aggregate_name"] == "median"})
    ns = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    ratios = {name: sorted(run[(name, "10000")] / run[(name, "1")] for run in runs) for name in ("BM_Decide", "BM_DecideService")}
    return ns, ratios


def policy_rss(rules=10000, runs=7):
    """What a real program under the shim pays at its first connection (loading the engine and the
    policy), with a 1-rule and a `rules`-rule policy in which every rule applies to the program, from
    the TOML and from the `check --compile`d form. Medians of `runs`:
    {(rules, "toml"|"compiled"): (RSS KiB, anonymous KiB, file KiB, connect() ms)}."""
    tool = os.path.join(build, "tools", "tcpkeep")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, rules):
            for form in ("toml", "compiled"):
                path = os.path.join(tmp, f"{count}-{form}.toml")
                with open(path, "w") as f:
                    subprocess.run([os.path.join(bench, "print_policy"), str(count), "every-rule-active"], stdout=f, check=True)
                if form == "compiled":
                    subprocess.run([tool, "check", "--compile", path], capture_output=True, check=True)
                env = dict(env_for(variants["libtcpkeep"]), TCPKEEP_POLICY=path, TCPKEEP_LOG="info")
                added = []
                for _ in range(runs):
                    run = subprocess.run([os.path.join(bench, "rss_probe"), "9"], env=env, capture_output=True, text=True, check=True)
                    loaded = f": {count} active rule{'s' if count > 1 else ''}\n" in run.stderr
                    if not loaded or ("(compiled form)" in run.stderr) != (form == "compiled"):
                        sys.exit(f"rss_probe did not load the {count}-rule policy's {form}: {run.stderr}")
                f = run.stdout.split()  # before RSS ANON FILE after RSS ANON FILE ms MS
                v = [int(x) for x in f[1:4] + f[5:8]]
                added.append(tuple(v[3 + i] - v[i] for i in range(3)) + (float(f[9]),))
                out[(count, form)] = tuple(statistics.median(a[i] for a in added) for i in range(4))
    return out


def policy_load(rules=10000):
    out = subprocess.run([os.path.join(bench, "policy_load_bench"), str(rules)], capture_output=True, text=True, check=True).stdout
    fields = out.split()
    return {k: float(fields[fields.index(k) + 1]) for k in ("load_ms_median", "compiled_load_ms_median", "rss_added_kib",
                                                            "rss_anon_added_kib", "compiled_rss_added_kib", "footprint_kib")}


def main():
    print(f"tcpkeep benchmarks: {rounds} alternating rounds, medians; build {build}\n")
    rate = connection_rate()
    print("| figure | none | floor | libtcpkeep | ratio | budget |\n|---|---|---|---|---|---|")
    print(f"| 20,000 connections, wall s | {rate['none']:.3f} | {rate['floor']:.3f} | {rate['libtcpkeep']:.3f} "
          f"| libtcpkeep/floor {rate['libtcpkeep'] / rate['floor']:.3f} | <= 1.03 |")
    spread = connection_rate_by_policy()
    print(f"| 20,000 connections over 4,096 loopback addresses, libtcpkeep, 1-rule / 10,000-rule policy, wall s | | | "
          f"{spread[1]:.3f} / {spread[10000]:.3f} | 10,000/1 {spread[10000] / spread[1]:.3f} | <= 1.05 |")
    for label, program in (("/bin/true", "/bin/true"), ("no_tcp", os.path.join(bench, "no_tcp"))):
        t = exec_tax(program)
        added = {k: t[k] - t["none"] for k in t}
        ratio = added["libtcpkeep"] / added["floor"] if added["floor"] > 0 else float("nan")
        print(f"| exec {label}, us per exec | {t['none']:.1f} | {t['floor']:.1f} (+{added['floor']:.1f}) "
              f"| {t['libtcpkeep']:.1f} (+{added['libtcpkeep']:.1f}) | added libtcpkeep/floor {ratio:.2f} | <= 1.25 |")
    for label, program in (("/bin/true", "/bin/true"), ("no_tcp", os.path.join(bench, "no_tcp"))):
        ins = instructions(program)
        added = {k: ins[k] - ins["none"] for k in ins}
        print(f"| exec {label}, instructions (callgrind) | {ins['none']} | {ins['floor']} (+{added['floor']}) "
              f"| {ins['libtcpkeep']} (+{added['libtcpkeep']}) | added libtcpkeep/floor {added['libtcpkeep'] / added['floor']:.2f} | (exact) |")
    per = instructions_per_connection()
    print(f"| one connection, user-space instructions (callgrind) | {per['none']:.0f} | {per['floor']:.0f} | {per['libtcpkeep']:.0f} "
          f"| | (exact) |")
    d, ratios = decision()
    for name, shape in (("BM_Decide", "spread over 4,096 destinations"), ("BM_DecideService", "16 destinations")):
        ns = [d[(name, rules)] for rules in ("1", "100", "10000")]
        r = ratios[name]
        print(f"| decision, ns (1 / 100 / 10,000 rules), {shape} | | | {ns[0]:.1f} / {ns[1]:.1f} / {ns[2]:.1f} "
              f"| 10,000/1 {statistics.median(r):.2f} (processes: {r[0]:.2f}-{r[-1]:.2f}) | <= 1.05 |")
    load = policy_load()
    print(f"| 10,000-rule policy: load from TOML / from `check --compile`d form, ms | | | {load['load_ms_median']:.1f} / "
          f"{load['compiled_load_ms_median']:.1f} | | <= 20 ms |")
    print(f"| 10,000-rule policy: RSS added from TOML (private part) / from the compiled form, KiB | | | "
          f"{load['rss_added_kib']:.0f} ({load['rss_anon_added_kib']:.0f}) / {load['compiled_rss_added_kib']:.0f} "
          f"| compiled policy itself {load['footprint_kib']:.0f} KiB | <= 1024 KiB |")
    rss = policy_rss()
    print(f"| a program under the shim, its first connect() (engine and policy loaded), ms, TOML: 1 rule / 10,000 rules; "
          f"compiled form: 1 / 10,000 | | | {rss[(1, 'toml')][3]:.1f} / {rss[(10000, 'toml')][3]:.1f}; "
          f"{rss[(1, 'compiled')][3]:.1f} / {rss[(10000, 'compiled')][3]:.1f} | | <= 20 ms |")
    for form in ("toml", "compiled"):
        one, many = rss[(1, form)], rss[(10000, form)]
        print(f"| a program under the shim, RSS added at its first connection, {form}: 1 rule / 10,000 rules "
              f"(anonymous, file), KiB | | | {one[0]:.0f} ({one[1]:.0f}, {one[2]:.0f}) / {many[0]:.0f} ({many[1]:.0f}, {many[2]:.0f}) "
              f"| the 10,000 rules' own: {many[0] - one[0]:.0f} | <= 1024 KiB |")
    cgroup_rows()


def cgroup_rows():
    """Cgroup mode (bench/cgroup_bench.py): needs root and a tcpkeep built with it; else says why not."""
    tool = os.path.join(build, "tools", "tcpkeep")
    if os.geteuid() != 0:
        print("| cgroup mode | not measured: needs root | | | | |")
        return
    if not cgroup_bench.cgroup_mode_built(tool):
        print("| cgroup mode | not measured: tcpkeep was built without cgroup mode | | | | |")
        return
    m = cgroup_bench.measure(tool, os.path.join(bench, "connection_rate"), os.path.join(bench, "print_policy"),
                             variants["floor"], os.path.join(bench, "noop_cgroup.bpf.o"))
    for name, what in (("bare", "5,000 bare connections"), ("service", "2,500 connections with a 100-byte request and reply")):
        w = m[name]
        print(f"| cgroup mode: {what} in one cgroup, detached / no-op programs / attached, wall s | {w['detached']:.3f} "
              f"| {w['noop']:.3f} | {w['attached']:.3f} | attached/detached {w['ratio']:.3f}, no-op/detached {w['noop_ratio']:.3f}, "
              f"attached/no-op {w['over_noop']:.3f}, attached/floor preload {w['floor_ratio']:.3f} | <= 1.03 (attached/detached) |")
    print(f"| cgroup mode: BPF run time per bare connection (bpf stats; both ends in the cgroup), us | | | {m['bpf_us']:.2f} "
          f"| {m['bpf_runs']:.1f} program runs per connection | |")
    print(f"| cgroup mode: attach (replace) of a 10,000-rule peer/port policy, s | | | {m['attach_s']:.2f} | median of 5 | |")

if __name__ == "__main__":
    main()
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
