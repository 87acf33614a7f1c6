"""tcpkeep explain warns when idle reaches the idle timeout of common load balancers and NAT gateways."""
import tempfile
import unittest

from tooltest import main, tool, tool_json

NLB = ("warning:  idle 5min 50s is at or above the default idle timeout of Azure Load Balancer (4min), Azure NAT Gateway (4min), "
       "AWS Network Load Balancer (5min 50s), AWS NAT gateway (5min 50s), AWS Network Firewall (5min 50s): behind such a middlebox "
       "an idle connection is dropped silently before its first keepalive probe")


class Explain(unittest.TestCase):
    def explain(self, defaults, *args, json_output=False):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as p:
            p.write(f"version = 1\n[defaults]\n{defaults}")
            p.flush()
            if json_output:
                return tool_json(self, "explain", "--policy", p.name, *args, expect=0)
            r = tool("explain", "--policy", p.name, *args)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            return r.stdout

    def test_idle_at_a_middlebox_timeout_warns(self):
        out = self.explain('keepalive = true\nidle = "350s"\ninterval = "10s"\ncount = 3\n')
        warnings = [line for line in out.splitlines() if line.startswith("warning:")]
        self.assertEqual(warnings, [NLB])
        self.assertIn("  idle          5min 50s   [defaults]\n", out)
        self.assertIn("\n" + NLB + "\nwhen the peer disappears:\n", out)  # after the values
        j = self.explain('keepalive = true\nidle = "350s"\n', json_output=True)
        self.assertEqual(j["middlebox_warning"], NLB[len("warning:  "):])

    def test_kernel_default_idle_warns_with_every_middlebox(self):
        j = self.explain("keepalive = true\n", json_output=True)
        self.assertEqual(j["values"]["idle_s"]["source"], "sysctl net.ipv4.tcp_keepalive_time")
        if j["kernel"]["tcp_keepalive_time"] >= 1200:
            self.assertIn("Google Cloud NAT (20min)", j["middlebox_warning"])

    def test_below_every_timeout_or_keepalive_off_is_silent(self):
        for defaults in ('keepalive = true\nidle = "239s"\n', 'keepalive = false\n'):
            with self.subTest(defaults=defaults):
                self.assertNotIn("warning:", self.explain(defaults))
                self.assertIsNone(self.explain(defaults, json_output=True)["middlebox_warning"])


if __name__ == "__main__":
    main()
