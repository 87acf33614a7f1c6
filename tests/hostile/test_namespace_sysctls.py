"""Root's tool against the sysctls of a network namespace an unprivileged user owns (issue 25, attack 3).

In a user and network namespace of its own (`unshare -Urn`) any user may set the net.ipv4 sysctls to
whatever the kernel accepts: tcp_rto_min_us = 1 (0 ms when truncated to milliseconds) or
tcp_keepalive_intvl = 0 made the detection-time model divide by zero, and root's verify --pid,
explain --pid and the whole-host audit died of SIGFPE (exit 136 from a shell). Here nobody's process
holds a loopback connection with keepalive in such a namespace; root's tool must finish with its
usual exit status and report the values as the kernel uses them (a tick for rto_min, a probe every
tick for an interval of 0, an RTO bounded by rto_max). One test per sysctl."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import unittest

from staging import staged_for
from tcpkeep_test import TOOL, main, require_root

USER = "nobody"
# A python3 nobody can run (the test's own may live in a private directory).
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
# Holds a loopback connection to itself (listener, client, accepted) with keepalive on and the
# idle time and user timeout (0: unset) of its arguments; prints "ready PORT".
HOLDER = """
import socket, sys
idle_s, user_timeout_ms = map(int, sys.argv[1:])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
client = socket.create_connection(listener.getsockname())
accepted, _ = listener.accept()
for s in (client, accepted):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle_s)
    if user_timeout_ms:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, user_timeout_ms)
print("ready", listener.getsockname()[1], flush=True)
sys.stdin.read()
"""
# A fresh network namespace starts from the kernel's built-in values, whatever the host's.
KERNEL_INTERVAL_S, KERNEL_PROBES = 75, 9


def established(report):
    return [s for s in report["sockets"] if s["state"] == "ESTABLISHED"]


def as_list(values):
    return [values[k] for k in ("keepalive", "idle_s", "interval_s", "count", "user_timeout_ms")]


class NamespaceSysctls(unittest.TestCase):
    def setUp(self):
        require_root(self)
        for program in ("unshare", "setpriv", "nsenter", "ip"):
            if not shutil.which(program):
                self.fail(f"{program} is needed (util-linux, iproute2)")
        self.user = pwd.getpwnam(USER)

    def holder(self, sysctl, value, idle_s, user_timeout_ms=0):
        """nobody's process in a user+network namespace nobody made, with net.ipv4.<sysctl> = value
        there, holding a loopback connection with keepalive on, idle_s and the user timeout set (the
        interval and count are the namespace's); stopped when the test ends. Returns its pid.
        (Not under the shim: in a user namespace / is owned by the overflow uid, so the shim refuses
        every policy.) The tool is given a policy of the same values."""
        staged = staged_for(self)
        self.policy = os.path.join(staged.dir, "policy.toml")
        with open(self.policy, "w") as f:
            f.write(f'version = 1\n[defaults]\nkeepalive = true\nidle = "{idle_s}s"\n')
            if user_timeout_ms:
                f.write(f'user_timeout = "{user_timeout_ms}ms"\n')
        setup = f'ip link set lo up && echo {value} > /proc/sys/net/ipv4/{sysctl} && exec "$@"'
        cmd = ["setpriv", f"--reuid={self.user.pw_uid}", f"--regid={self.user.pw_gid}", "--clear-groups",
               "unshare", "-Urn", "sh", "-c", setup, "sh", PYTHON, "-c", HOLDER, str(idle_s), str(user_timeout_ms)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TCPKEEP_") and k != "LD_PRELOAD"}
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/")
        self.addCleanup(self.stop, proc)
        line = proc.stdout.readline().split()
        self.assertEqual(line[:1], ["ready"], f"{cmd} did not start")
        # The attacker: nobody's own process, in a namespace root did not make, holding the value.
        with open(f"/proc/{proc.pid}/status") as f:
            uids = next(row.split()[1:] for row in f if row.startswith("Uid:"))
        self.assertEqual(uids, [str(self.user.pw_uid)] * 4)
        self.assertNotEqual(os.readlink(f"/proc/{proc.pid}/ns/net"), os.readlink("/proc/self/ns/net"))
        inside = subprocess.run(["nsenter", f"--net=/proc/{proc.pid}/ns/net", "cat", f"/proc/sys/net/ipv4/{sysctl}"],
                                capture_output=True, text=True, check=True)
        self.assertEqual(inside.stdout.strip(), str(value))
        return proc.pid

    @staticmethod
    def stop(proc):
        proc.kill()
        proc.wait()
        proc.stdin.close()
        proc.stdout.close()

    def tool(self, *args, expect):
        """Runs root's tool; it must not die of a signal and must exit with `expect` (a set for the
        whole-host audit, whose status depends on the host's other processes)."""
        r = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)
        if r.returncode < 0:
            self.fail(f"tcpkeep {' '.join(args)} died of {signal.Signals(-r.returncode).name} (exit {128 - r.returncode} "
                      f"from a shell): {r.stderr}")
        self.assertIn(r.returncode, expect if isinstance(expect, set) else {expect}, r.stdout + r.stderr)
        return r

    def tool_json(self, *args, expect):
        return json.loads(self.tool(*args, "--json", expect=expect).stdout)

    def verified_sockets(self, pid, sysctl, shown):
        """root's verify --pid of nobody's process: its namespace's sysctl as shown (as the kernel uses
        it), and its two established sockets. Exit 1: without the shim the process is not as the
        policy wants (its listener has no keepalive)."""
        report = self.tool_json("verify", "--pid", str(pid), "--policy", self.policy, expect=1)
        self.assertEqual((report["ok"], report["shim"]["loaded"]), (False, False))
        self.assertEqual((report["kernel_view"], report["kernel"][sysctl]), ("process", shown))
        sockets = established(report)
        self.assertEqual(len(sockets), 2)
        return sockets

    def check_audit(self, pid, worst_ms):
        """The whole-host audit (JSON and text) lists nobody's process with its worst idle detection
        time; confined to its namespace, it counts the process's two connections above 5 minutes or not."""
        report = self.tool_json("audit", expect={0, 1, 2})
        rows = {r["pid"]: r for r in report["processes"]}
        self.assertIn(pid, rows, report["not_inspected"])
        row = rows[pid]
        self.assertEqual((row["user"], row["coverage"], row["verify"]), (USER, "none", "no shim"))
        self.assertEqual((row["worst_idle_detection_ms"], row["worst_never"]), (worst_ms, False))
        text = self.tool("audit", expect={0, 1, 2})
        self.assertEqual(len([line for line in text.stdout.splitlines() if line.split()[:2] == [str(pid), USER]]), 1, text.stdout)
        # Exit 1 for the process (it is not as the policy wants), 2 when the tool may not look into
        # some process to tell whether it is in the namespace (a sandbox's pid 1).
        r = self.tool("audit", "--netns", f"/proc/{pid}/ns/net", "--worse-than", "5min", "--json", expect={1, 2})
        scoped = json.loads(r.stdout)
        self.assertEqual(r.returncode, 2 if scoped["not_inspected"] else 1)
        self.assertNotIn(pid, [n["pid"] for n in scoped["not_inspected"]])
        self.assertEqual([(r["pid"], r["worst_idle_detection_ms"]) for r in scoped["processes"]], [(pid, worst_ms)])
        self.assertEqual(scoped["summary"]["above_threshold"], 2 if worst_ms > 300_000 else 0)

    def test_rto_min_below_one_tick(self):
        # tcp_rto_min_us = 1: the kernel rounds it up to one tick (4 ms at HZ=250); the model's
        # tcp_model_timeout divided by the truncated 0 ms. No user timeout: the retries2 limit decides.
        pid = self.holder("tcp_rto_min_us", 1, idle_s=10)
        sockets = self.verified_sockets(pid, "tcp_rto_min_ms", 4)
        idle_detection_ms = 10_000 + KERNEL_PROBES * KERNEL_INTERVAL_S * 1000
        for s in sockets:
            self.assertEqual(as_list(s["actual"]), [True, 10, KERNEL_INTERVAL_S, KERNEL_PROBES, 0], s)
            peer = s["dead_peer"]
            self.assertEqual(peer["now"], "idle", s)
            # The live RTO on loopback: one tick of rto_min plus at most a few ticks, not 200 ms.
            self.assertTrue(4 <= peer["rto_ms"] <= 16, s)
            self.assertTrue(idle_detection_ms - 60_000 < peer["detect_in_ms"] <= idle_detection_ms, s)
            self.assertGreater(peer["if_sending_ms"], 0, s)
        self.tool("verify", "--pid", str(pid), "--policy", self.policy, expect=1)

        explained = self.tool_json("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        self.assertEqual(explained["kernel"]["tcp_rto_min_ms"], 4)
        # LAN RTO 8 ms: loss probe at 8, first retransmission at 16, doubling to 120 s; the limit
        # tcp_model_timeout(15, 4 ms) = 251068 ms is passed at 371.072 s (timeline_test.cpp).
        self.assertEqual(explained["retransmit_times_ms"][:3], [8, 16, 32])
        self.assertEqual((explained["detect_busy_ms"], explained["busy_bound"]), (371_072, "tcp_retries2"))
        text = self.tool("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        self.assertIn("detected at 371.072s (tcp_retries2 = 15, RTO about 8ms on a LAN)", text.stdout)

        self.check_audit(pid, idle_detection_ms)

    def test_keepalive_interval_zero(self):
        # tcp_keepalive_intvl = 0, so a socket that sets no interval reports 0: the kernel re-arms
        # the keepalive timer for the next tick after each probe. With a user timeout the model
        # divided by the interval.
        pid = self.holder("tcp_keepalive_intvl", 0, idle_s=10, user_timeout_ms=30_000)
        for s in self.verified_sockets(pid, "tcp_keepalive_intvl", 0):
            self.assertEqual(as_list(s["actual"]), [True, 10, 0, KERNEL_PROBES, 30_000], s)
            peer = s["dead_peer"]
            self.assertEqual(peer["now"], "idle", s)
            # Probes every 4 ms from 10 s on; the first firing at or past the user timeout is 30 s.
            self.assertTrue(10_000 < peer["detect_in_ms"] <= 30_000, s)
        text = self.tool("verify", "--pid", str(pid), "--policy", self.policy, expect=1)
        self.assertIn("tcp_keepalive_intvl 0s", text.stdout)

        explained = self.tool_json("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        self.assertEqual(explained["kernel"]["tcp_keepalive_intvl"], 0)
        self.assertEqual(explained["values"]["interval_s"], {"value": 0, "source": "sysctl net.ipv4.tcp_keepalive_intvl", "set_by_policy": False})
        probes = explained["probe_times_ms"]
        self.assertEqual((len(probes), probes[:3], probes[-1]), (5000, [10_000, 10_004, 10_008], 29_996))
        self.assertEqual(explained["detect_idle_ms"], 30_000)
        text = self.tool("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        self.assertIn("probes at 10s, 10.004s, 10.008s, ", text.stdout)
        self.assertIn("(5000 in all); detected at 30s", text.stdout)

        self.check_audit(pid, 30_000)

    def test_rto_min_above_rto_max(self):
        # tcp_rto_min_us = INT_MAX (2147 s): the kernel bounds the RTO by rto_max (120 s); the model
        # shifted by a negative count (undefined) and told of a LAN RTO of 35 minutes.
        pid = self.holder("tcp_rto_min_us", 2147483647, idle_s=10)
        for s in self.verified_sockets(pid, "tcp_rto_min_ms", 2_147_484):
            self.assertTrue(1 <= s["dead_peer"]["rto_ms"] <= 120_000, s)
        explained = self.tool_json("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        # Every wait 120 s: loss probe at 120 s, first retransmission at 240 s, 16 waits more.
        self.assertEqual(explained["retransmit_times_ms"][:3], [120_000, 240_000, 360_000])
        self.assertEqual(explained["detect_busy_ms"], 2_160_000)
        text = self.tool("explain", "--pid", str(pid), "--policy", self.policy, expect=0)
        self.assertIn("RTO about 120000ms on a LAN", text.stdout)
        self.check_audit(pid, 10_000 + KERNEL_PROBES * KERNEL_INTERVAL_S * 1000)


if __name__ == "__main__":
    main()
