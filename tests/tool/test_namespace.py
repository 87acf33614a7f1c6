"""verify and explain --pid judge a process by the sysctls of its own network namespace: a process
in a namespace tuned apart from the host must be reported with that namespace's values."""
import json
import shutil
import tempfile
import unittest

from staging import staged_for
from tooltest import DEFAULT_POLICY, HOLD, TOOL, Target, as_list, as_nobody, main, require_root, target_env, tool, tool_json

# Values no host uses: a namespace tuned so, whatever the host's own sysctls are.
TUNED = {"tcp_keepalive_time": 1234, "tcp_keepalive_intvl": 56, "tcp_keepalive_probes": 7, "tcp_retries2": 8}
# user_timeout "auto" = idle + interval x count, from the namespace's values: 1234 + 56 x 7 s.
AUTO_MS = (1234 + 56 * 7) * 1000
POLICY = 'version = 1\n[defaults]\nkeepalive = true\nuser_timeout = "auto"\n'


def in_tuned_namespace(*cmd):
    """cmd in a new network namespace with loopback up and the TUNED sysctls."""
    tune = " && ".join(f"echo {v} > /proc/sys/net/ipv4/{k}" for k, v in TUNED.items())
    return ["unshare", "--net", "sh", "-c", f'ip link set lo up && {tune} && exec "$@"', "sh", *cmd]


class Namespace(unittest.TestCase):
    def setUp(self):
        require_root(self)
        for program in ("unshare", "ip"):
            if not shutil.which(program):
                self.fail(f"{program} is needed (util-linux, iproute2)")
        with open("/proc/sys/net/ipv4/tcp_keepalive_time") as f:
            self.assertNotEqual(int(f.read()), TUNED["tcp_keepalive_time"], "the host is tuned like the test namespace")
        self.policy = tempfile.NamedTemporaryFile("w", suffix=".toml")
        self.policy.write(POLICY)
        self.policy.flush()

    def tearDown(self):
        self.policy.close()

    def test_verify_uses_the_process_namespace(self):
        with Target(in_tuned_namespace(HOLD, "4"), env=target_env()) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), "--policy", self.policy.name, expect=1)
            for key, value in TUNED.items():
                self.assertEqual(report["kernel"][key], value, key)
            self.assertEqual((report["kernel_view"], report["kernel_note"]), ("process", None))
            for s in report["sockets"]:
                # No shim: the kernel reports the namespace's values; the policy's auto user timeout
                # is computed from them too.
                self.assertEqual(as_list(s["actual"]), [0, 1234, 56, 7, 0], s)
                self.assertEqual(as_list(s["expected"]), [1, None, None, None, AUTO_MS], s)
            text = tool("verify", "--pid", str(t.pid), "--policy", self.policy.name)
            self.assertEqual(text.returncode, 1)
            self.assertIn("  sysctls: tcp_keepalive_time 20min 34s, tcp_keepalive_intvl 56s, tcp_keepalive_probes 7, tcp_retries2 8, "
                          "tcp_syn_retries 6 (its network namespace)\n", text.stdout)

    def test_explain_pid_uses_the_process_namespace(self):
        with Target(in_tuned_namespace(HOLD, "4"), env=target_env()) as t:
            r = tool_json(self, "explain", "--pid", str(t.pid), "--policy", self.policy.name, expect=0)
            for key, value in TUNED.items():
                self.assertEqual(r["kernel"][key], value, key)
            self.assertEqual(r["pid"], t.pid)
            self.assertEqual(r["values"]["idle_s"], {"value": 1234, "source": "sysctl net.ipv4.tcp_keepalive_time", "set_by_policy": False})
            self.assertEqual(r["values"]["user_timeout_ms"]["value"], AUTO_MS)
            # user timeout 1626 s: the first keepalive firing at or past it, 1234 + 7 x 56 s.
            self.assertEqual(r["detect_idle_ms"], AUTO_MS)
            text = tool("explain", "--pid", str(t.pid), "--policy", self.policy.name)
            self.assertEqual(text.returncode, 0, text.stderr)
            self.assertIn(f"(network namespace of pid {t.pid})\n", text.stdout)
            self.assertIn("  idle          20min 34s  sysctl net.ipv4.tcp_keepalive_time\n", text.stdout)

    def test_a_namespace_it_may_not_enter_is_said(self):
        # nobody's process in a user and network namespace of its own: nobody's verify may read its
        # sockets but not join its namespace (setns needs CAP_SYS_ADMIN in the tool's own namespace too).
        staged = staged_for(self)
        hold, staged_tool, policy = staged.copy(HOLD), staged.copy(TOOL), staged.copy(DEFAULT_POLICY)  # nobody's tool reads it
        cmd = as_nobody("unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", hold, "4")
        with Target(cmd, env=target_env(policy=policy)) as t:
            r = tool("verify", "--pid", str(t.pid), "--json", prefix=as_nobody(), exe=staged_tool)
            self.assertEqual(r.returncode, 1, r.stderr)
            report = json.loads(r.stdout)
            self.assertEqual(report["kernel_view"], "tool")
            self.assertEqual(report["kernel_note"], f"cannot enter the network namespace of process {t.pid} (setns: Operation not "
                                                    "permitted; needs CAP_SYS_ADMIN): the sysctls shown are the tool's own namespace's")
            self.assertIsNone(report["missing"])

    def test_explain_pid_of_no_process(self):
        r = tool("explain", "--pid", "999999999", "--policy", self.policy.name)
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertEqual(r.stderr, "tcpkeep: --pid 999999999: /proc/999999999/ns/net: No such file or directory\n")


if __name__ == "__main__":
    main()
