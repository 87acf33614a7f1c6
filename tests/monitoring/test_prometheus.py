"""`tcpkeep audit --prometheus` as an operator's monitoring reads it: the file is written whole with
mode 0644, promtool accepts it, the real node_exporter serves it from its textfile directory, and a
real Prometheus scraping that node_exporter answers queries with the numbers of a known set of
processes: 3 without protection and 2 under the shim, 4 connections each, in two units of a cgroup
of the test's own (the audit is scoped to it, so the host's other processes do not count)."""
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from monitortest import (NODE_EXPORTER, PROMETHEUS, PROMTOOL, TestCgroup, http_get, node_exporter, parse_exposition, prometheus, query,
                         require_programs, wait_until)
from staging import staged_for
from tooltest import DEFAULT_POLICY, HOLD, PYTHON, SHIM, Target, main, require_root, target_env, tool

HOLD_MANY = os.environ["TCPKEEP_HOLD_MANY"]
PROGRAM = os.path.basename(os.path.realpath(PYTHON))  # the label: the executable's file name
DETECTION_S = 120.0  # the embedded default: 60 s + 6 x 10 s, and a user timeout of 120 s for unacknowledged data


class Prometheus(unittest.TestCase):
    def setUp(self):
        require_root(self)
        require_programs(self, PROMTOOL, NODE_EXPORTER, PROMETHEUS)
        self.cgroup = TestCgroup(self, "tcpkeep-monitoring")
        self.staged = staged_for(self)
        self.policy = self.staged.copy(DEFAULT_POLICY, "policy.toml", mode=0o644)
        self.shim = self.staged.shim(SHIM)  # once: copying over a mapped library would break the processes using it
        self.textfiles = tempfile.mkdtemp(prefix="tcpkeep-textfile-")
        self.addCleanup(shutil.rmtree, self.textfiles, ignore_errors=True)

    def start(self, unit, count, shim):
        env = target_env(preload=shim, shim=self.shim, policy=self.policy)
        for _ in range(count):
            t = Target(self.cgroup.joined(self.cgroup.child(unit), PYTHON, HOLD_MANY, "4"), env=env)
            self.addCleanup(t.__exit__, None, None, None)

    def audit_to_file(self, *args):
        path = os.path.join(self.textfiles, "tcpkeep.prom")
        r = tool("audit", "--cgroup", self.cgroup.path, "--prometheus", "--output", path, *args)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(os.listdir(self.textfiles), ["tcpkeep.prom"])  # no temporary file left behind
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        with open(path) as f:
            return path, f.read()

    def test_known_processes_through_node_exporter_and_prometheus(self):
        self.start("plain.service", 3, shim=False)
        self.start("shimmed.service", 2, shim=True)
        path, text = self.audit_to_file()

        check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        samples, help_, types = parse_exposition(text)
        for name in {name for name, _ in samples}:
            with self.subTest(metric=name):
                self.assertIn(name, help_)
                self.assertIn(types[name], ("gauge", "counter"))
                self.assertEqual(name.endswith("_total"), types[name] == "counter")
                for _, labels in (key for key in samples if key[0] == name):
                    self.assertFalse({k for k, _ in labels} & {"pid", "port", "peer"})

        def value(name, **labels):
            return samples[(name, frozenset(labels.items()))]

        plain = {"unit": "plain.service", "program": PROGRAM}
        shimmed = {"unit": "shimmed.service", "program": PROGRAM}
        self.assertEqual([value("tcpkeep_connections", **plain, protection=p) for p in ("unprotected", "shim", "cgroup", "program", "skipped")],
                         [12, 0, 0, 0, 0])
        self.assertEqual([value("tcpkeep_connections", **shimmed, protection=p) for p in ("shim", "unprotected", "unknown")], [8, 0, 0])
        self.assertEqual([value("tcpkeep_processes", **plain, coverage=c) for c in ("none", "shim", "cgroup")], [3, 0, 0])
        self.assertEqual([value("tcpkeep_processes", **shimmed, coverage=c) for c in ("shim", "none")], [2, 0])
        self.assertEqual((value("tcpkeep_listening_sockets", **plain), value("tcpkeep_listening_sockets", **shimmed)), (3, 2))
        self.assertEqual(value("tcpkeep_idle_peer_detection_worst_seconds", unit="plain.service"), float("inf"))
        self.assertEqual(value("tcpkeep_idle_peer_detection_worst_seconds", unit="shimmed.service"), DETECTION_S)
        # Unacknowledged data: the user timeout, at the retransmission that passes it, as explain models it.
        explained = json.loads(tool("explain", "--json", "--policy", self.policy).stdout)
        self.assertEqual(value("tcpkeep_unacked_data_detection_worst_seconds", unit="shimmed.service"), explained["detect_busy_ms"] / 1000)
        self.assertGreater(value("tcpkeep_unacked_data_detection_worst_seconds", unit="plain.service"), DETECTION_S)  # tcp_retries2 alone
        # Slower than their policy asks: the 12 with keepalive off; none given --worse-than.
        self.assertEqual((value("tcpkeep_slow_connections", **plain), value("tcpkeep_slow_connections", **shimmed)), (12, 0))
        self.assertEqual([value("tcpkeep_processes_not_inspected", reason=r) for r in ("permission_denied", "policy", "other")], [0, 0, 0])
        self.assertGreater(value("tcpkeep_audit_duration_seconds"), 0)

        exporter = node_exporter(self, self.textfiles)
        served, _, _ = parse_exposition(http_get(exporter.url("/metrics")))
        self.assertEqual(served[("node_textfile_scrape_error", frozenset())], 0)
        self.assertEqual(served[("tcpkeep_connections", frozenset({**plain, "protection": "unprotected"}.items()))], 12)
        self.assertEqual({k: v for k, v in served.items() if k[0].startswith("tcpkeep_") and k[0] != "tcpkeep_audit_timestamp_seconds"},
                         {k: v for k, v in samples.items() if k[0] != "tcpkeep_audit_timestamp_seconds"})

        server = prometheus(self, exporter.port)
        by_protection = wait_until("Prometheus scraped the audit", lambda: query(server, "sum by (protection) (tcpkeep_connections)"))
        self.assertEqual(by_protection, {frozenset({("protection", p)}): n for p, n in
                                         {"shim": 8, "cgroup": 0, "program": 0, "skipped": 0, "unprotected": 12, "unknown": 0}.items()})
        # The operator's questions: which hosts have unprotected connections, which units lack protection.
        self.assertEqual(query(server, 'sum by (instance) (tcpkeep_connections{protection="unprotected"}) > 0'), {frozenset(): 12})
        self.assertEqual(query(server, 'sum by (unit) (tcpkeep_processes{coverage="none"}) > 0'), {frozenset({("unit", "plain.service")}): 3})
        self.assertEqual(query(server, "tcpkeep_idle_peer_detection_worst_seconds"),
                         {frozenset({("unit", "plain.service")}): float("inf"), frozenset({("unit", "shimmed.service")}): DETECTION_S})

        # The next audit replaces the file: the collector serves the new numbers.
        self.start("shimmed.service", 1, shim=True)
        self.audit_to_file()
        wait_until("Prometheus saw the third shimmed process",
                   lambda: query(server, 'sum(tcpkeep_processes{coverage="shim"})') == {frozenset(): 3})

    def test_hostile_program_names_are_escaped(self):
        # An executable named with a quote, a backslash, a line feed and a byte that is no UTF-8:
        # the file stays valid, and the label reads back as the name (the bad byte as U+FFFD).
        name = 'evil"\\\nname\xff'
        hold = self.staged.copy(HOLD, os.fsdecode(name.encode("latin-1")))
        t = Target(self.cgroup.joined(self.cgroup.child("hostile.service"), hold, "4"), env=target_env(policy=self.policy))
        self.addCleanup(t.__exit__, None, None, None)
        _, text = self.audit_to_file()
        check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        samples, _, _ = parse_exposition(text)
        labels = {"unit": "hostile.service", "program": 'evil"\\\nname\ufffd', "protection": "unprotected"}
        self.assertEqual(samples[("tcpkeep_connections", frozenset(labels.items()))], 2)

    def test_output_needs_prometheus_and_a_writable_directory(self):
        r = tool("audit", "--output", os.path.join(self.textfiles, "x.prom"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--output requires --prometheus", r.stderr)
        r = tool("audit", "--cgroup", self.cgroup.path, "--prometheus", "--output", "/nonexistent-dir/tcpkeep.prom")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("tcpkeep: cannot create /nonexistent-dir/tcpkeep.prom.tmp."), r.stderr)
        self.assertIn("No such file or directory", r.stderr)


if __name__ == "__main__":
    main()
