"""verify and apply on real servers (issue 26): processes whose TCP sockets were all inherited (sshd's
re-executed session, git daemon's --serve child) are judged by their sockets' values, not called
shim-less; and the deciding rule's `enforce` counts whatever policy is named."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from daemons import Daemon, free_port, policy_in_temp_dir, require_program, wait_for_port
from tcpkeep_test import remote_values
from tooltest import TOOL, as_list, main, require_root, target_env, tool, tool_json

POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "37s"\ninterval = "7s"\ncount = 4\nuser_timeout = "51s"\n'
POLICY_VALUES = [1, 37, 7, 4, 51000]


def processes_with_cmdline(part, parent=None):
    """Pids whose command line contains `part` (and whose parent is `parent`, when given)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if part in cmdline and (parent is None or ppid == parent):
            found.append(int(entry))
    return found


def wait_for_process(part, parent=None, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pids = processes_with_cmdline(part, parent)
        if pids:
            return pids[0]
        time.sleep(0.05)
    raise AssertionError(f"no process \"...{part}...\"")


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:  # gone already
        pass


class InheritedSockets(unittest.TestCase):
    def setUp(self):
        self.dir, self.policy = policy_in_temp_dir(self, POLICY)

    def run_under_shim(self, *cmd):
        proc = subprocess.Popen([TOOL, "run", "--policy", self.policy, "--", *cmd], env=target_env(policy=None), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(proc.wait)
        self.addCleanup(kill_group, proc.pid)  # the daemon's children too
        return proc

    def assert_inherited_and_ok(self, pid):
        report = tool_json(self, "verify", "--pid", str(pid), expect=0)
        self.assertTrue(report["shim"]["loaded"])
        self.assertIsNone(report["shim_inactive"])
        tcp = [s for s in report["sockets"] if s["state"] == "ESTABLISHED"]
        self.assertTrue(tcp, report)
        for s in tcp:
            self.assertEqual((s["made_outside_shim"], as_list(s["actual"]), s["ok"]), (True, POLICY_VALUES, True), s)
            self.assertEqual(list(remote_values(pid, s["fd"]).values()), POLICY_VALUES)
        text = tool("verify", "--pid", str(pid))
        self.assertEqual(text.returncode, 0, text.stdout + text.stderr)
        self.assertIn("not made through the shim (inherited from the process that started this one", text.stdout)
        self.assertNotIn("NO SHIM", text.stdout)
        self.assertEqual(tool("apply", "--pid", str(pid)).returncode, 0, "apply and verify agree")

    def test_sshd_session(self):
        require_root(self)
        if os.environ.get("TCPKEEP_SANITIZER_PRELOAD"):  # measured: it dies of SIGSEGV at start
            self.skipTest("sshd does not run with a sanitizer runtime preloaded; the plain build runs this test")
        sshd = require_program(self, "sshd")
        port = free_port()
        keys = {name: os.path.join(self.dir, name) for name in ("host_key", "user_key")}
        for path in keys.values():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        authorized = os.path.join(self.dir, "authorized_keys")
        shutil.copy(keys["user_key"] + ".pub", authorized)
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as f:
            f.write(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {keys['host_key']}\nAuthorizedKeysFile {authorized}\n"
                    f"PidFile {self.dir}/sshd.pid\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n")
        os.makedirs("/run/sshd", exist_ok=True)  # its privilege-separation directory
        daemon = self.run_under_shim(sshd, "-D", "-e", "-f", config)
        wait_for_port(port, daemon).close()
        client = subprocess.Popen(["ssh", "-i", keys["user_key"], "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                   "-o", "BatchMode=yes", "-p", str(port), "root@127.0.0.1", "sleep 3600"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=target_env(policy=None))
        self.addCleanup(client.wait)
        self.addCleanup(client.kill)
        session = wait_for_process("sshd: root@notty")
        self.assert_inherited_and_ok(session)

    def test_git_daemon_serve_child(self):
        git = require_program(self, "git")
        port = free_port()
        subprocess.run([git, "init", "-q", "--bare", os.path.join(self.dir, "repo.git")], check=True)
        daemon = self.run_under_shim(git, "daemon", "--reuseaddr", "--listen=127.0.0.1", f"--port={port}", f"--base-path={self.dir}",
                                     "--export-all")
        client = wait_for_port(port, daemon)  # holds the connection and sends nothing: its --serve child waits
        self.addCleanup(client.close)
        child = wait_for_process("git-daemon --serve")
        self.assert_inherited_and_ok(child)


class EnforceInANamedPolicy(unittest.TestCase):
    def test_redis_with_an_inbound_rule_that_enforces(self):
        redis = require_program(self, "redis-server")
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory, True)
        loaded = os.path.join(directory, "loaded.toml")
        with open(loaded, "w") as f:
            f.write(POLICY)
        enforcing = os.path.join(directory, "enforcing.toml")
        with open(enforcing, "w") as f:
            f.write(POLICY + '[[rule]]\nname = "clients of redis"\ndirection = "inbound"\nenforce = true\n')
        port = free_port()
        d = Daemon(self, [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--logfile", os.path.join(directory, "redis.log")], loaded, port)
        time.sleep(0.2)  # the accepted connection is made, and redis has set its own 300/100/3 on it
        report = tool_json(self, "verify", "--pid", str(d.pid), "--policy", enforcing, expect=1)
        accepted = next(s for s in report["sockets"] if s["state"] == "ESTABLISHED")
        self.assertEqual(as_list(accepted["actual"]), [1, 300, 100, 3, 51000])
        self.assertEqual((accepted["rule"], accepted["ok"], accepted["program_chose"]), ("clients of redis", False, []))
        self.assertEqual(accepted["enforced"], ["keepalive", "idle_s", "interval_s", "count", "user_timeout_ms"])
        text = tool("verify", "--pid", str(d.pid), "--policy", enforcing).stdout
        self.assertIn("5min (want 37s)", text)
        applied = tool_json(self, "apply", "--pid", str(d.pid), "--policy", enforcing, expect=0)
        changed = next(s for s in applied["sockets"] if s["fd"] == accepted["fd"])
        self.assertEqual(sorted(c["option"] for c in changed["changes"]), ["count", "idle_s", "interval_s"])
        self.assertEqual(list(remote_values(d.pid, accepted["fd"]).values()), POLICY_VALUES)
        tool_json(self, "verify", "--pid", str(d.pid), "--policy", enforcing, expect=0)


if __name__ == "__main__":
    main()
