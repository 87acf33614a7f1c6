"""examples/policies: each passes `tcpkeep check` without a warning, and `tcpkeep explain --json`
gives the values its comments promise for one socket (or more) of the kind it is written for."""
import json
import os
import subprocess
import unittest

from deploytest import BUILD_TOOL, DEFAULT_VALUES, EXAMPLES, FIELDS, clean_env

POLICIES = os.path.join(EXAMPLES, "policies")

# file -> rules, and the sockets it is for: (explain arguments, rule, action, values, idle detection in ms)
CASES = {
    "default.toml": (0, [
        (["--port", "443"], "[defaults]", "apply", DEFAULT_VALUES, 120000),
    ]),
    "databases.toml": (2, [
        (["--port", "5432"], "postgres clients", "apply", [1, 10, 5, 4, 30000], 30000),
        (["--port", "6379"], "redis clients", "apply", [1, 5, 2, 5, 15000], 15000),
        (["--port", "5432", "--direction", "inbound"], "[defaults]", "apply", DEFAULT_VALUES, 120000),
    ]),
    "load-balancer.toml": (1, [
        (["--direction", "inbound", "--port", "8443"], "behind the load balancer", "apply", [1, 120, 15, 4, 180000], 180000),
        (["--port", "8443"], "[defaults]", "apply", DEFAULT_VALUES, 120000),
    ]),
    "skip-self-managed.toml": (3, [
        (["--process", "/usr/bin/ssh", "--port", "22"], "ssh manages its own keepalive", "skip", None, None),
        (["--process", "curl", "--port", "443"], "curl manages its own keepalive", "skip", None, None),
        (["--process", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "--port", "5432"], "java manages its own keepalive", "skip", None, None),
        (["--process", "/opt/java/bin/java", "--port", "5432"], "[defaults]", "apply", DEFAULT_VALUES, 120000),
        (["--process", "/usr/bin/python3", "--port", "443"], "[defaults]", "apply", DEFAULT_VALUES, 120000),
    ]),
}


def tool(*args):
    return subprocess.run([BUILD_TOOL, *args], capture_output=True, text=True, env=clean_env(), timeout=60)


class Policies(unittest.TestCase):
    def test_every_example_is_covered(self):
        self.assertEqual(sorted(os.listdir(POLICIES)), sorted(CASES))

    def test_check_passes_without_warnings(self):
        for name, (rules, _) in CASES.items():
            with self.subTest(policy=name):
                path = os.path.join(POLICIES, name)
                r = tool("check", path)
                expected = f"{path}: valid: version 1, {rules} rule{'' if rules == 1 else 's'}, [defaults] for unmatched sockets\n"
                self.assertEqual((r.returncode, r.stdout, r.stderr), (0, expected, ""))

    def test_explain_values(self):
        for name, (_, sockets) in CASES.items():
            for args, rule, action, values, detect_idle_ms in sockets:
                with self.subTest(policy=name, socket=args):
                    r = tool("explain", "--policy", os.path.join(POLICIES, name), *args, "--json")
                    self.assertEqual(r.returncode, 0, r.stderr)
                    e = json.loads(r.stdout)
                    self.assertEqual((e["rule"], e["action"]), (rule, action))
                    if values is None:
                        continue
                    self.assertEqual([int(e["values"][f]["value"]) for f in FIELDS], values)
                    self.assertEqual(e["detect_idle_ms"], detect_idle_ms)

    def test_load_balancer_probes_well_inside_the_idle_timeout(self):
        # 350 s (AWS NLB, NAT Gateway), 240 s (Azure's default): the first probe comes long before.
        r = tool("explain", "--policy", os.path.join(POLICIES, "load-balancer.toml"), "--direction", "inbound", "--port", "8080", "--json")
        probes = json.loads(r.stdout)["probe_times_ms"]
        self.assertEqual(probes[0], 120000)
        self.assertLessEqual(probes[0], 240000 // 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
