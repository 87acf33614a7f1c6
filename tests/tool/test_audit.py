"""tcpkeep audit on a fixture host of real processes, confined to a cgroup of their own: a shimmed
program, a plain one, a static one, one run as nobody, one in another network namespace, a forked server;
and static programs in cgroup mode, one left alone by a `skip` rule. Classification, who protects each
connection, socket groups, worst detection times, the summary and the exit status are asserted exactly."""
import json
import os
import socket
import subprocess
import time
import unittest

from go_client import build_go_client
from host import cgroup2_mount
from staging import staged_for
from tooltest import (DEFAULT_POLICY, HOLD, HOLD_STATIC, PYTHON, SHIM, Target, as_nobody, kernel_values, main, require_root, target_env,
                      tool)

CGROUP_ROOT = "/sys/fs/cgroup/unified"  # cgroup v2 on this hybrid layout; plain v2 hosts mount it at /sys/fs/cgroup
DEFAULT_DETECTION_MS = 120_000  # the embedded default: 60 s + 6 x 10 s, user timeout 120 s


# A forked server: the parent keeps the listener and the client; the child it forks after accept()
# keeps only the accepted connection (and leaves when stdin, shared with the parent, closes).
FORKED_SERVER = """
import os, socket, sys
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
client = socket.create_connection(listener.getsockname())
accepted, _ = listener.accept()
if os.fork() == 0:
    listener.close()
    client.close()
    sys.stdin.read()
    os._exit(0)
accepted.close()
print("ready", listener.getsockname()[1], flush=True)
sys.stdin.read()
"""




class Audit(unittest.TestCase):
    def setUp(self):
        require_root(self)
        mount = cgroup2_mount()
        if mount is None:
            self.fail("no cgroup2 mount")
        self.cgroup = f"/tcpkeep-audit-{os.getpid()}"
        self.cgroup_dir = mount + self.cgroup
        os.mkdir(self.cgroup_dir)
        self.addCleanup(self.remove_cgroup)
        self.staged = staged_for(self)
        self.policy = self.staged.copy(DEFAULT_POLICY, "policy.toml", mode=0o644)

    def remove_cgroup(self):
        for _ in range(50):  # killed processes leave the cgroup once reaped
            try:
                os.rmdir(self.cgroup_dir)
                return
            except OSError:
                time.sleep(0.1)

    def joined(self, *cmd):
        """cmd started inside the test's cgroup (the shell joins it, then execs)."""
        return ["sh", "-c", f'echo $$ > {self.cgroup_dir}/cgroup.procs && exec "$@"', "sh", *cmd]

    def audit(self, *args, expect, prefix=(), exe=None):
        r = tool("audit", "--cgroup", self.cgroup, *args, "--json", prefix=prefix, **({"exe": exe} if exe else {}))
        self.assertEqual(r.returncode, expect, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def fixture(self):
        """The five processes, by name; each is stopped when the test ends."""
        shim = self.staged.shim(SHIM)
        hold = self.staged.copy(HOLD)
        env = target_env(preload=True, shim=shim, policy=self.policy)
        plain_env = target_env(policy=self.policy)
        procs = {
            "shimmed": Target(self.joined(hold, "4"), env=env),
            "plain": Target(self.joined(hold, "4"), env=plain_env),
            "static": Target(self.joined(self.staged.copy(HOLD_STATIC), "4"), env=env),
            "nobody": Target(self.joined(*as_nobody(hold, "4")), env=env),
            "netns": Target(self.joined("unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", hold, "4"), env=env),
        }
        for t in procs.values():
            self.addCleanup(t.__exit__, None, None, None)
        return procs

    def test_fixture_host(self):
        p = self.fixture()
        report = self.audit("--worse-than", "5min", expect=1)
        self.assertEqual(report["schema"], 1)
        self.assertEqual((report["threshold_ms"], report["threshold_source"]), (300_000, "--worse-than"))
        self.assertEqual(report["summary"], {"processes": 5, "sockets": 15, "listening": 5, "outbound": 5, "inbound": 5, "covered": 3,
                                             "covered_by": {"shim": 3, "cgroup": 0}, "uncovered": 2,
                                             "connections": {"shim": 6, "cgroup": 0, "program": 0, "skipped": 0, "unprotected": 4, "unknown": 0},
                                             "above_threshold": 4, "unknown": 0, "cgroup_attachments": 0, "not_inspected": 0, "exited": 0})
        rows = {r["pid"]: r for r in report["processes"]}
        self.assertEqual(set(rows), {t.pid for t in p.values()})
        expected = {  # coverage, worst (None = never), verify
            "shimmed": ("shim", DEFAULT_DETECTION_MS, "ok"),
            "nobody": ("shim", DEFAULT_DETECTION_MS, "ok"),
            "netns": ("shim", DEFAULT_DETECTION_MS, "ok"),
            "plain": ("none", None, "no shim"),
            "static": ("none", None, "no shim"),
        }
        for name, (coverage, worst, verdict) in expected.items():
            row = rows[p[name].pid]
            with self.subTest(process=name):
                self.assertEqual((row["coverage"], row["worst_idle_detection_ms"], row["worst_never"], row["verify"]),
                                 (coverage, worst, worst is None, verdict))
                self.assertEqual(row["sockets"], {"listening": 1, "outbound": 1, "inbound": 1})
                self.assertEqual(row["above_threshold"], 0 if worst else 2)
                self.assertEqual(row["connections"]["shim" if worst else "unprotected"], 2)
                self.assertEqual(row["cgroup"], self.cgroup)
                self.assertEqual(len(row["report"]["sockets"]), 3)
        self.assertEqual(rows[p["plain"].pid]["coverage_reason"], "LD_PRELOAD is absent from the process's environment")
        self.assertIn("statically linked", rows[p["static"].pid]["coverage_reason"])
        self.assertEqual((rows[p["nobody"].pid]["user"], rows[p["shimmed"].pid]["user"]), ("nobody", "root"))
        # Worst first: the two that never notice, then the others.
        self.assertEqual([r["worst_never"] for r in report["processes"]], [True, True, False, False, False])
        # The other namespace has its own counters; a new namespace starts at zero probes.
        own_ns, other_ns = rows[p["shimmed"].pid]["netns"], rows[p["netns"].pid]["netns"]
        self.assertNotEqual(own_ns, other_ns)
        self.assertEqual(set(report["counters"]), {own_ns, other_ns})
        self.assertEqual(set(report["counters"][other_ns]), {"TCPKeepAlive", "TCPTimeouts", "TCPAbortOnTimeout"})
        self.assertEqual(report["counters"][other_ns]["TCPKeepAlive"], 0)

        only_netns = self.audit("--worse-than", "5min", "--netns", f"/proc/{p['netns'].pid}/ns/net", expect=0)
        self.assertEqual([r["pid"] for r in only_netns["processes"]], [p["netns"].pid])
        only_nobody = self.audit("--worse-than", "5min", "--user", "nobody", expect=0)
        self.assertEqual([r["pid"] for r in only_nobody["processes"]], [p["nobody"].pid])

        same_pidns = self.audit("--worse-than", "5min", "--container", str(p["shimmed"].pid), expect=1)
        self.assertEqual({r["pid"] for r in same_pidns["processes"]}, {t.pid for t in p.values()})

        text = tool("audit", "--cgroup", self.cgroup, "--worse-than", "5min")
        self.assertEqual(text.returncode, 1)
        lines = text.stdout.splitlines()
        self.assertEqual(lines[:5], [
            "audit: 5 processes with TCP sockets, 15 sockets (5 listening, 5 outbound, 5 inbound)",
            "  processes with the shim at work: 3; in cgroup mode: 0; with neither: 2",
            "  connections protected by the shim: 6, by cgroup mode: 0, by the program itself: 0; left alone by a skip rule: 0; "
            "keepalive off: 4",
            "  connections slower than 5min to notice a dead idle peer: 4 (--worse-than; a skip rule's are not counted)",
            "  not inspected: 0; exited during the scan: 0"])
        header = next(i for i, line in enumerate(lines) if line.startswith("PID "))
        self.assertEqual(lines[header].split(), ["PID", "USER", "COVERAGE", "LISTEN", "OUT", "IN", "WORST", "VERIFY", "EXECUTABLE"])
        self.assertEqual([line.split()[6] for line in lines[header + 1:header + 6]], ["never", "never", "2min", "2min", "2min"])

    def test_container_by_pid_namespace(self):
        self.fixture()  # processes in the host's PID namespace, which --container must leave out
        hold = self.staged.copy(HOLD, "tcp_hold_pidns")
        # A process in a PID namespace of its own: unshare forks it, so its host pid is read from the cgroup.
        with Target(self.joined("unshare", "--pid", "--fork", hold, "4"), env=target_env(policy=self.policy)) as t:
            with open(os.path.join(self.cgroup_dir, "cgroup.procs")) as f:
                (inner,) = [int(pid) for pid in f.read().split() if os.path.realpath(f"/proc/{pid}/exe") == hold
                            and os.readlink(f"/proc/{pid}/ns/pid") != os.readlink(f"/proc/{t.pid}/ns/pid")]
            report = self.audit("--worse-than", "5min", "--container", str(inner), expect=1)
            self.assertEqual([r["pid"] for r in report["processes"]], [inner])
            self.assertEqual(report["processes"][0]["sockets"], {"listening": 1, "outbound": 1, "inbound": 1})

    def test_forked_server(self):
        with Target(self.joined(PYTHON, "-c", FORKED_SERVER), env=target_env(policy=self.policy)) as t:
            report = self.audit("--worse-than", "5min", expect=1)
            rows = {r["pid"]: r for r in report["processes"]}
            (child,) = set(rows) - {t.pid}
            self.assertEqual(rows[t.pid]["sockets"], {"listening": 1, "outbound": 1, "inbound": 0})
            # The child's connection is inbound: its local port is listened on in the namespace.
            self.assertEqual(rows[child]["sockets"], {"listening": 0, "outbound": 0, "inbound": 1})
            self.assertEqual([rows[pid]["worst_never"] for pid in (t.pid, child)], [True, True])
            self.assertEqual(report["summary"]["above_threshold"], 2)

    def test_default_threshold_is_each_connections_policy(self):
        p = self.fixture()
        report = self.audit("--policy", self.policy, expect=1)  # 1: verify's, for the two without the shim
        self.assertEqual((report["threshold_ms"], report["threshold_source"]), (None, "each connection's policy"))
        self.assertEqual(report["summary"]["above_threshold"], 4)
        text = tool("audit", "--cgroup", self.cgroup)
        self.assertIn("  connections slower than their policy asks to notice a dead idle peer: 4 (each connection's policy; "
                      "a skip rule's are not counted)", text.stdout.splitlines())
        # A process whose policy asks for slow detection has what it asks: not slow, exit 0 as verify's
        # (the tool's own policy, 2 min, once made it a finding).
        slow = self.staged.copy(DEFAULT_POLICY, "slow.toml", mode=0o644)
        with open(slow, "w") as f:
            f.write('version = 1\n[defaults]\nkeepalive = true\nidle = "2h"\ninterval = "10s"\ncount = 6\nuser_timeout = "auto"\n')
        child = self.cgroup + "/slow"
        os.mkdir(self.cgroup_dir + "/slow")
        self.addCleanup(lambda: os.path.isdir(self.cgroup_dir + "/slow") and os.rmdir(self.cgroup_dir + "/slow"))
        cmd = ["sh", "-c", f'echo $$ > {self.cgroup_dir}/slow/cgroup.procs && exec "$@"', "sh", self.staged.copy(HOLD, "tcp_hold_slow"), "4"]
        with Target(cmd, env=target_env(preload=True, shim=self.staged.shim(SHIM), policy=slow)) as t:
            r = tool("audit", "--cgroup", child, "--json")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            (row,) = json.loads(r.stdout)["processes"]
            self.assertEqual((row["pid"], row["verify"], row["worst_idle_detection_ms"], row["above_threshold"]),
                             (t.pid, "ok", 7_260_000, 0))

    def test_a_go_programs_own_keepalive_is_the_programs(self):
        """Go's runtime sets its own keepalive (15 s) on connections the shim never sees: the program
        protects them, not the shim loaded beside it."""
        program = build_go_client(self, self.staged.dir, cgo=True)
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            go = subprocess.Popen(self.joined(program, "127.0.0.1:%d" % listener.getsockname()[1]), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=target_env(preload=True, shim=self.staged.shim(SHIM), policy=self.policy))
            self.addCleanup(go.wait)
            self.addCleanup(go.kill)
            self.assertEqual(go.stdout.readline(), "ready\n")
            report = self.audit(expect=1)  # verify's: the shim cannot act in it
            (row,) = report["processes"]
            self.assertEqual((row["pid"], row["coverage"], row["connections"]["program"], row["connections"]["shim"]), (go.pid, "inactive", 1, 0))
            probes = kernel_values()[3]  # Go sets idle and interval (15 s), not the count: the sysctl's
            self.assertEqual(row["worst_idle_detection_ms"], 15_000 + probes * 15_000)

    def test_cgroup_mode_and_a_skip_rule(self):
        """Static programs in cgroup mode, one of them left alone by a skip rule: counted by mechanism,
        the skipped connections neither slow nor unprotected, exit 0 as verify's."""
        policy = self.staged.copy(DEFAULT_POLICY, "cgroup.toml", mode=0o644)
        with open(policy, "w") as f:
            f.write('version = 1\n[defaults]\nkeepalive = true\nidle = "30s"\ninterval = "5s"\ncount = 3\nuser_timeout = "45s"\n'
                    '[[rule]]\nname = "self-managed"\nprocess = ["tcp_hold_skip"]\naction = "skip"\n')
        r = tool("attach", "--policy", policy, "--cgroup", self.cgroup)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(tool, "detach", "--cgroup", self.cgroup)
        covered = Target(self.joined(self.staged.copy(HOLD_STATIC), "4"), env=target_env(policy=None))
        skipped = Target(self.joined(self.staged.copy(HOLD_STATIC, "tcp_hold_skip"), "4"), env=target_env(policy=None))
        for t in (covered, skipped):
            self.addCleanup(t.__exit__, None, None, None)
        report = self.audit(expect=0)
        self.assertEqual({k: report["summary"][k] for k in ("covered_by", "connections", "above_threshold", "cgroup_attachments")},
                         {"covered_by": {"shim": 0, "cgroup": 2},
                          "connections": {"shim": 0, "cgroup": 2, "program": 0, "skipped": 2, "unprotected": 0, "unknown": 0},
                          "above_threshold": 0, "cgroup_attachments": 1})
        rows = {r["pid"]: r for r in report["processes"]}
        self.assertEqual([(rows[t.pid]["coverage"], rows[t.pid]["verify"], rows[t.pid]["worst_idle_detection_ms"]) for t in (covered, skipped)],
                         [("cgroup", "ok", 45_000), ("cgroup", "ok", None)])
        text = tool("audit", "--cgroup", self.cgroup)
        self.assertEqual(text.returncode, 0, text.stdout + text.stderr)
        self.assertEqual(text.stdout.splitlines()[1:4], [
            "  processes with the shim at work: 0; in cgroup mode: 2; with neither: 0",
            "  connections protected by the shim: 0, by cgroup mode: 2, by the program itself: 0; left alone by a skip rule: 2; keepalive off: 0",
            "  connections slower than their policy asks to notice a dead idle peer: 0 (each connection's policy; a skip rule's are not counted)"])
        # A fixed threshold below the policy's 45 s makes the covered program's connections findings.
        strict = self.audit("--worse-than", "40s", expect=1)
        self.assertEqual(strict["summary"]["above_threshold"], 2)

    def test_processes_it_may_not_inspect_are_listed(self):
        p = self.fixture()
        staged_tool = self.staged.copy(os.environ["TCPKEEP_TOOL"])
        report = self.audit("--worse-than", "5min", expect=2, prefix=as_nobody(), exe=staged_tool)
        self.assertEqual([r["pid"] for r in report["processes"]], [p["nobody"].pid])
        skipped = {n["pid"]: n["reason"] for n in report["not_inspected"]}
        self.assertEqual(set(skipped), {t.pid for name, t in p.items() if name != "nobody"})
        for pid, reason in skipped.items():
            self.assertTrue(reason.startswith(f"process {pid}: permission denied"), reason)

    def test_processes_exiting_during_the_scan(self):
        p = self.fixture()
        hold = self.staged.copy(HOLD, "tcp_hold_short")
        # Programs that set up their three sockets, hold them a while and exit, over and over, with
        # lifetimes from below to above a scan's duration: the scans meet them alive, gone since
        # they were listed, and exiting while they are inspected.
        churns = [subprocess.Popen(self.joined("sh", "-c", f"while :; do sleep {life} | {hold} 4 >/dev/null; done"))
                  for life in ("0.01", "0.1", "1", "3")]
        fixed = {t.pid for t in p.values()}
        churn_seen = 0  # short-lived processes the scans met
        try:
            for _ in range(10):
                report = self.audit("--worse-than", "5min", expect=1)
                self.assertEqual(report["not_inspected"], [])
                pids = {r["pid"] for r in report["processes"]}
                self.assertTrue(fixed <= pids)
                churn_seen += report["summary"]["exited"] + len(pids - fixed)
        finally:
            for churn in churns:
                churn.kill()  # its last child reads stdin to its end and exits by itself
                churn.wait()
        self.assertGreater(churn_seen, 0)


if __name__ == "__main__":
    main()
