"""How `tcpkeep audit` grows with processes and with sockets per process (root, cgroup v2).

For each shape PROCESSES:SOCKETS, `socket_holder` forks that many processes holding that many
loopback TCP sockets each, in a cgroup of their own; then, in alternating rounds, `tcpkeep audit
--cgroup --json` of that cgroup, the same audit as Prometheus metrics (`--prometheus`, what the
textfile timer runs), and the least an audit must read from /proc: every process's fd links and
the namespace's tcp and tcp6 tables once (the reference, same run). The audit's summary must count
exactly the processes and sockets held, and the metrics the same connections. Prints medians,
per-process and per-socket costs, --prometheus against --json, and the growth between shapes.

Usage: audit_scale.py BUILD_DIR [ROUNDS] [PROCESSES:SOCKETS ...]
       (default: 5 rounds; 100:10 300:10 1000:10 300:1 300:3)
"""
import json
import os
import statistics
import subprocess
import sys
import time

DEFAULT_SHAPES = ("100:10", "300:10", "1000:10", "300:1", "300:3")


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        return next(line.split()[1] for line in f if line.split()[2] == "cgroup2")


def proc_alone(pids):
    """What any audit must read: each process's fd links, then the socket tables once."""
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        for fd in os.listdir(fd_dir):
            os.readlink(f"{fd_dir}/{fd}")
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            f.read()


def summed(metrics, name):
    """The sum of a metric's samples in the text exposition format."""
    return int(sum(float(line.rpartition(" ")[2]) for line in metrics.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " ")))


def connections_in(metrics):
    return summed(metrics, "tcpkeep_connections")


def listeners_in(metrics):
    return summed(metrics, "tcpkeep_listening_sockets")


def held_host(holder, directory, processes, sockets):
    """socket_holder started inside the cgroup; returns it once every child holds its sockets."""
    def enter():
        with open(os.path.join(directory, "cgroup.procs"), "w") as f:
            f.write("0")
    proc = subprocess.Popen([holder, str(processes), str(sockets)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, preexec_fn=enter)
    if proc.stdout.readline() != "ready\n":
        proc.kill()
        sys.exit("socket_holder did not start")
    return proc


def measure(tool, holder, mount, processes, sockets, rounds):
    name = f"tcpkeep-audit-scale-{os.getpid()}-{processes}-{sockets}"
    directory = os.path.join(mount, name)
    os.mkdir(directory)
    proc = held_host(holder, directory, processes, sockets)
    try:
        with open(os.path.join(directory, "cgroup.procs")) as f:
            pids = [int(p) for p in f.read().split() if int(p) != proc.pid]
        audit_s, prometheus_s, proc_s = [], [], []
        audit = [tool, "audit", "--cgroup", "/" + name, "--worse-than", "5min"]
        for _ in range(rounds):
            started = time.monotonic()
            out = subprocess.run([*audit, "--json"], capture_output=True, text=True).stdout
            audit_s.append(time.monotonic() - started)
            summary = json.loads(out)["summary"]
            if (summary["processes"], summary["sockets"]) != (processes, processes * sockets):
                sys.exit(f"audit saw {summary['processes']} processes and {summary['sockets']} sockets, "
                         f"not {processes} and {processes * sockets}: {summary}")
            started = time.monotonic()
            metrics = subprocess.run([*audit, "--prometheus"], capture_output=True, text=True).stdout
            prometheus_s.append(time.monotonic() - started)
            counted = connections_in(metrics) + listeners_in(metrics)
            if counted != processes * sockets:
                sys.exit(f"audit --prometheus counted {counted} sockets, not {processes * sockets}")
            started = time.monotonic()
            proc_alone(pids)
            proc_s.append(time.monotonic() - started)
        return statistics.median(audit_s), statistics.median(prometheus_s), statistics.median(proc_s)
    finally:
        proc.stdin.close()
        proc.wait()
        for _ in range(100):  # the children leave the cgroup once reaped
            try:
                os.rmdir(directory)
                break
            except OSError:
                time.sleep(0.05)


def main():
    build = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    shapes = [tuple(int(x) for x in s.split(":")) for s in (sys.argv[3:] or DEFAULT_SHAPES)]
    tool, holder = os.path.join(build, "tools", "tcpkeep"), os.path.join(build, "bench", "socket_holder")
    mount = cgroup2_mount()
    results = {}
    print("| processes x sockets | audit, s | per process, ms | per socket, ms | /proc alone, s | audit / (/proc alone) "
          "| --prometheus, s | --prometheus / --json |")
    print("|---|---|---|---|---|---|---|---|")
    for processes, sockets in shapes:
        audit, prometheus, alone = measure(tool, holder, mount, processes, sockets, rounds)
        results[(processes, sockets)] = audit
        print(f"| {processes} x {sockets} | {audit:.3f} | {audit / processes * 1000:.2f} | "
              f"{audit / (processes * sockets) * 1000:.3f} | {alone:.3f} | {audit / alone:.1f} | {prometheus:.3f} | "
              f"{prometheus / audit:.3f} |")
    print(f"\nmedians of {rounds} rounds (audit --json, audit --prometheus and /proc alone alternating); load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for grew, key, other in (("processes", 0, 1), ("sockets per process", 1, 0)):
        for fixed in sorted({shape[other] for shape in results}):
            line = sorted((shape for shape in results if shape[other] == fixed), key=lambda shape: shape[key])
            for a, b in zip(line, line[1:]):
                print(f"{grew} x{b[key] / a[key]:.2f} ({a[0]}x{a[1]} -> {b[0]}x{b[1]}): audit time x{results[b] / results[a]:.2f}")

if __name__ == "__main__":
    main()
