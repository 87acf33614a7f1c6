"""Issue 25, attack 4: a user's process names a file root's tool then reads as root.

The policy path comes from the target: its environment (TCPKEEP_POLICY), or the record its shim
publishes in the process's own, writable memory. Root's tool used to open it through
/proc/PID/root as root, following /proc's links: it parsed /etc/shadow and quoted its first parse
error, told a 0600 file's size ("0 bytes then, 26 now") and whether a file in /root exists, read
the host's files from a container through /proc/self/root, and drained /proc/kmsg. Now the file is
read in a child that takes on the process's credentials, never through /proc, and a file the
process cannot read is reported as exactly that."""
import ctypes
import os
import subprocess

from hostile import Attacker, HOLD_STATIC, SHIM, environment, main, root_only_file, tool, unittest

SECRET = "secret_marker_7141 = [\n"  # invalid TOML: a parse error would quote it


def unread_kernel_log_bytes():
    """SYSLOG_ACTION_SIZE_UNREAD: what a reader of /proc/kmsg has not consumed yet."""
    return ctypes.CDLL(None, use_errno=True).klogctl(9, None, 0)


class PolicyPathsFromTheTarget(unittest.TestCase):
    def assert_says_nothing_of(self, r, path):
        self.assertNotIn("secret_marker", r.stdout + r.stderr)
        self.assertNotIn("bytes then", r.stderr)
        self.assertNotIn(str(os.path.getsize(path)) + " ", r.stderr.replace(path, ""))

    def test_root_only_file_named_in_the_environment(self):
        secret = root_only_file(self, SECRET)
        attacker = Attacker(self)
        process = attacker.start(env=environment(TCPKEEP_POLICY=secret))
        r = tool(self, "verify", "--pid", str(process.pid), expect=2)
        self.assertIn(f"{secret}: the process cannot read it", r.stderr)
        self.assert_says_nothing_of(r, secret)
        shadow = attacker.start(env=environment(TCPKEEP_POLICY="/etc/shadow"))
        r = tool(self, "verify", "--pid", str(shadow.pid), expect=2)
        self.assertIn("/etc/shadow: the process cannot read it", r.stderr)
        self.assertNotIn("line 1", r.stderr)

    def test_forged_shim_record(self):
        secret = root_only_file(self, SECRET)
        missing = os.path.join(os.path.dirname(secret), "id_ed25519")
        attacker = Attacker(self)
        shim = attacker.staged.shim(SHIM, into="shim")
        policy = attacker.staged.copy(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "policies", "default.toml"), mode=0o644)
        process = attacker.start(env=environment(LD_PRELOAD=shim, TCPKEEP_POLICY=policy))
        tool(self, "verify", "--pid", str(process.pid), expect=0)
        answers = []
        for forged in (secret, missing):
            self.assertEqual(process.ask(f"forge {forged}"), "ok")
            r = tool(self, "verify", "--pid", str(process.pid), expect=2)
            self.assertIn(f"{forged}: the process cannot read it", r.stderr)
            self.assert_says_nothing_of(r, secret)
            answers.append(r.stderr.replace(forged, "PATH"))
        self.assertEqual(answers[0], answers[1], "an existing and a missing file in a directory the process cannot enter must look alike")

    def test_proc_self_root_from_a_chrooted_namespace(self):
        # A file of the host every user may read, absent from the process's own root.
        host_file = root_only_file(self, SECRET)
        os.chmod(os.path.dirname(host_file), 0o755)
        os.chmod(host_file, 0o644)
        attacker = Attacker(self)
        root = attacker.path("root")
        holder = attacker.staged.copy(HOLD_STATIC, mode=0o755)
        script = f"""
set -e
mkdir -p {root}/proc
cp {holder} {root}/hold
mount --rbind /proc {root}/proc
exec chroot {root} /hold 4
"""
        process = attacker.start_command("unshare", "-Urm", "sh", "-c", script, env=environment(TCPKEEP_POLICY="/proc/self/root" + host_file))
        r = tool(self, "verify", "--pid", str(process.pid), expect=2)
        self.assertIn("goes through /proc", r.stderr)
        self.assert_says_nothing_of(r, host_file)

    def test_proc_kmsg_is_not_drained(self):
        with open("/dev/kmsg", "w") as log:
            log.write("tcpkeep hostile test: kernel log before verify\n")
        before = unread_kernel_log_bytes()
        self.assertGreater(before, 0)
        attacker = Attacker(self)
        users = attacker.start(env=environment(TCPKEEP_POLICY="/proc/kmsg"))
        r = tool(self, "verify", "--pid", str(users.pid), expect=2)
        self.assertIn("/proc/kmsg: policy refused", r.stderr)
        # Even root's own process naming it: /proc's files are the kernel's, never a policy.
        roots = subprocess.Popen(["/usr/bin/python3", attacker.holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 env=environment(TCPKEEP_POLICY="/proc/kmsg"))
        self.addCleanup(roots.wait)
        self.addCleanup(roots.kill)
        roots.stdout.readline()
        r = tool(self, "verify", "--pid", str(roots.pid), expect=2)
        self.assertIn("/proc/kmsg: policy refused", r.stderr)
        self.assertGreaterEqual(unread_kernel_log_bytes(), before, "root's tool read /proc/kmsg")


if __name__ == "__main__":
    main()
