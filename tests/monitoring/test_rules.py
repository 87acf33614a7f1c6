"""The alert rules of examples/monitoring: promtool accepts them (check rules) and they fire when and
only when alerts_test.yml says (test rules); a rules file with a changed threshold fails that test,
so the test can fail. The recipes' systemd units are well formed (systemd-analyze verify)."""
import os
import shutil
import subprocess
import tempfile
import unittest

from monitortest import PROMTOOL, require_programs
from tooltest import main

EXAMPLES = os.path.join(os.environ["TCPKEEP_EXAMPLES"], "monitoring")
RULES = os.path.join(EXAMPLES, "tcpkeep-alerts.yml")
RULE_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "alerts_test.yml")


class Rules(unittest.TestCase):
    def setUp(self):
        require_programs(self, PROMTOOL)
        self.dir = tempfile.mkdtemp(prefix="tcpkeep-rules-")
        self.addCleanup(shutil.rmtree, self.dir)
        shutil.copy(RULE_TESTS, self.dir)

    def promtool(self, *args):
        return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, cwd=self.dir, timeout=60)

    def test_check_rules(self):
        r = self.promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: 4 rules found", r.stdout)

    def test_rules_fire_as_the_tests_say(self):
        shutil.copy(RULES, self.dir)
        r = self.promtool("test", "rules", "alerts_test.yml")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout)

    def test_a_changed_threshold_fails_the_rule_tests(self):
        with open(RULES) as f:
            rules = f.read()
        self.assertIn("expr: vector(350)", rules)
        with open(os.path.join(self.dir, "tcpkeep-alerts.yml"), "w") as f:
            f.write(rules.replace("expr: vector(350)", "expr: vector(10000)"))
        r = self.promtool("test", "rules", "alerts_test.yml")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("TcpkeepDetectionSlowerThanMiddlebox", r.stdout + r.stderr)

    def test_units_are_well_formed(self):
        units = sorted(f for f in os.listdir(EXAMPLES) if f.endswith((".service", ".timer")))
        self.assertEqual(units, ["tcpkeep-audit-textfile.service", "tcpkeep-audit-textfile.timer", "tcpkeep-watch.service"])
        for unit in units:  # as installed: the tool at /usr/bin/tcpkeep, which this machine may lack
            shutil.copy(os.path.join(EXAMPLES, unit), self.dir)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", *[os.path.join(self.dir, u) for u in units]],
                           capture_output=True, text=True, timeout=60)
        problems = [line for line in (r.stdout + r.stderr).splitlines() if "/usr/bin/tcpkeep" not in line]
        self.assertEqual(problems, [], r.stdout + r.stderr)
        with open(os.path.join(EXAMPLES, "tcpkeep-audit-textfile.service")) as f:
            self.assertIn("ExecStart=/usr/bin/tcpkeep audit --prometheus --output /var/lib/prometheus/node-exporter/tcpkeep.prom", f.read())


if __name__ == "__main__":
    main()
