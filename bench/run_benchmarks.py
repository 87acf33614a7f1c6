"""Runs every benchmark side by side and prints the table of BENCHMARKS.md.

Timings alternate the variants (A B C A B C ...; execs one by one) and report medians, as ratios
against references measured in the same run: no preload, and the floor preload (SO_TYPE check +
five setsockopt in connect(), nothing else). Instruction counts (callgrind) are deterministic.
Usage: run_benchmarks.py BUILD_DIR [ROUNDS]
"""
import json
import os
import re
import statistics
import subprocess
import sys

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


def exec_tax(program, reps=200):
    args = [os.path.join(bench, "exec_tax"), program, str(rounds), str(reps)] + [p or "none" for p in variants.values()]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
    return {name: float(out[2 * i + 1]) for i, name in enumerate(variants)}


def instructions(program):
    counts = {}
    for name, preload in variants.items():
        err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", program],
                             env=env_for(preload), capture_output=True, text=True).stderr
        counts[name] = int(re.search(r"Collected : (\d+)", err).group(1))
    return counts


def decision():
    out = subprocess.run([os.path.join(bench, "decision_bench"), "--benchmark_repetitions=7", "--benchmark_report_aggregates_only=true",
                          "--benchmark_format=json"], capture_output=True, text=True, check=True).stdout
    # {("BM_Decide", "10000"): ns, ...}
    return {tuple(b["run_name"].split("/")): b["cpu_time"] for b in json.loads(out)["benchmarks"] if b["aggregate_name"] == "median"}


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
    d = decision()
    for name, shape in (("BM_Decide", "spread over 4,096 destinations"), ("BM_DecideService", "16 destinations")):
        ns = [d[(name, rules)] for rules in ("1", "100", "10000")]
        print(f"| decision, ns (1 / 100 / 10,000 rules), {shape} | | | {ns[0]:.1f} / {ns[1]:.1f} / {ns[2]:.1f} "
              f"| 10,000/1 {ns[2] / ns[0]:.2f} | <= 1.05 |")
    load = policy_load()
    print(f"| 10,000-rule policy: load from TOML / from `check --compile`d form, ms | | | {load['load_ms_median']:.1f} / "
          f"{load['compiled_load_ms_median']:.1f} | | <= 20 ms |")
    print(f"| 10,000-rule policy: RSS added from TOML (private part) / from the compiled form, KiB | | | "
          f"{load['rss_added_kib']:.0f} ({load['rss_anon_added_kib']:.0f}) / {load['compiled_rss_added_kib']:.0f} "
          f"| compiled policy itself {load['footprint_kib']:.0f} KiB | <= 1024 KiB |")

if __name__ == "__main__":
    main()
