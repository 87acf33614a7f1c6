"""tcpkeep apply: the values land on the target's existing sockets, as the target itself reads them."""
import tempfile
import unittest

from staging import staged_for
from tooltest import (DEFAULT, HOLD, HOLD_STATIC, PYTHON, TARGET_PY, TOOL, Target, as_list, as_nobody, kernel_values,
                      main, require_root, target_env, tool, tool_json)


class Apply(unittest.TestCase):
    def test_apply_sets_every_socket_and_accepted_ones_inherit(self):
        with Target([PYTHON, TARGET_PY, "4"], env=target_env()) as t:
            report = tool_json(self, "apply", "--pid", str(t.pid), expect=0)
            self.assertEqual([as_list(s["actual"]) for s in report["sockets"]], [DEFAULT] * 3)
            self.assertEqual(len(report["sockets"][0]["changes"]), 5)
            self.assertEqual(t.report(), {"listener": DEFAULT, "client": DEFAULT, "accepted": DEFAULT})
            t.ask("accept")  # a connection accepted after apply inherits from the listener
            self.assertEqual(t.report()["accepted2"], DEFAULT)
            self.assertEqual(t.report()["client2"], kernel_values())  # a new outbound socket: no shim, nothing set
            # Every socket agrees now, but without the shim the process's future sockets will not: verify says 1.
            after = tool_json(self, "verify", "--pid", str(t.pid), expect=1)
            self.assertEqual({s["ok"] for s in after["sockets"] if s["direction"] == "inbound"}, {True})
            self.assertIs(after["ok"], False)

    def test_dry_run_changes_nothing(self):
        with Target([PYTHON, TARGET_PY, "6"], env=target_env()) as t:
            report = tool_json(self, "apply", "--pid", str(t.pid), "--dry-run", expect=1)
            changes = report["sockets"][0]["changes"]
            self.assertEqual([(c["option"], c["from"], c["to"]) for c in changes],
                             list(zip(["keepalive", "idle_s", "interval_s", "count", "user_timeout_ms"], kernel_values(), DEFAULT)))
            self.assertEqual(t.report()["client"], kernel_values())
            text = tool("apply", "--pid", str(t.pid), "--dry-run")
            self.assertEqual(text.returncode, 1)
            self.assertIn("would set fd 3: keepalive off -> on, idle", text.stdout)

    def test_overrides_and_skip_rule(self):
        with Target([PYTHON, TARGET_PY, "4"], env=target_env()) as t, tempfile.NamedTemporaryFile("w", suffix=".toml") as p:
            p.write(f'version = 1\n[defaults]\nkeepalive = true\nidle = "60s"\n[[rule]]\nname = "not inbound"\n'
                    f'direction = "inbound"\nports = [{t.port}]\naction = "skip"\n')
            p.flush()
            tool_json(self, "apply", "--pid", str(t.pid), "--policy", p.name, "-s", "idle=45s", "-s", "count=4", expect=0)
            k = kernel_values()
            self.assertEqual(t.report(), {"listener": k, "accepted": k, "client": [1, 45, k[2], 4, 0]})

    def test_sockets_no_rule_matches_stay_untouched(self):
        with Target([PYTHON, TARGET_PY, "4"], env=target_env()) as t, tempfile.NamedTemporaryFile("w", suffix=".toml") as p:
            p.write('version = 1\n[[rule]]\ndirection = "outbound"\nidle = "40s"\n')
            p.flush()
            report = tool_json(self, "apply", "--pid", str(t.pid), "--policy", p.name, expect=0)
            self.assertEqual(sorted((s["direction"], s["rule"], s["action"]) for s in report["sockets"]),
                             [("inbound", None, "untouched")] * 2 + [("outbound", "rule #1", "apply")])
            k = kernel_values()
            self.assertEqual(t.report(), {"listener": k, "accepted": k, "client": [0, 40, k[2], k[3], 0]})

    def test_invalid_override(self):
        r = tool("apply", "--pid", "1", "-s", "count=0")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", "tcpkeep: -s count=0: count must be between 1 and 127, got 0\n"))

    def test_static_executable(self):
        with Target([HOLD_STATIC, "6"], env=target_env(preload=True)) as t:
            tool_json(self, "apply", "--pid", str(t.pid), expect=0)
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=1)  # values set; the shim still cannot load
            self.assertEqual([as_list(s["actual"]) for s in report["sockets"]], [DEFAULT] * 3)
            self.assertTrue(report["shim"]["why_not"].startswith("statically linked"))

    def test_refused(self):
        require_root(self)
        staged_tool = staged_for(self).copy(TOOL)
        with Target([HOLD, "4"], env=target_env()) as t:
            r = tool("apply", "--pid", str(t.pid), prefix=as_nobody(), exe=staged_tool)
            self.assertEqual(r.returncode, 2)
            self.assertIn("needs CAP_SYS_PTRACE or the same uid", r.stderr)


if __name__ == "__main__":
    main()
