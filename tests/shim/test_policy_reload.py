"""A program under the shim follows edits of its policy file without a restart: its next connection
after a change uses the new policy (the shim checks the file at most once a second, and only when
the program decides about a TCP socket); an invalid edit keeps the old policy with one log line;
sockets made before keep their values; verify reads the policy now in use. Values are read back
from the kernel by the program itself (getsockopt on its own sockets) and by pidfd_getfd."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from tcpkeep_test import TOOL, Listener, main, remote_values, shim_env, shim_lines

# A client that connects when told: "connect PORT" prints its socket's fd and values
# (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT) and keeps the socket.
CLIENT = r"""
import socket, sys
kept = []
for line in sys.stdin:
    port = int(line.split()[1])
    s = socket.create_connection(("127.0.0.1", port))
    kept.append(s)
    v = [s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)] + [
        s.getsockopt(socket.IPPROTO_TCP, o) for o in (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT, 18)]
    print(s.fileno(), *v, flush=True)
"""

# Longer than the shim's check interval (1 s) with room for a coarse clock and a busy machine.
PAST_A_CHECK = 1.2


def policy(idle, count=4):
    return f'version = 1\n[defaults]\nkeepalive = true\nidle = "{idle}s"\ninterval = "7s"\ncount = {count}\nuser_timeout = "51s"\n'


def values(idle, count=4):
    return [1, idle, 7, count, 51000]


class Client:
    def __init__(self, test, policy_path):
        self.proc = subprocess.Popen([sys.executable, "-c", CLIENT], env=shim_env(policy_path, log="info"), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = None
        test.addCleanup(self.close)
        self.listener = Listener()
        test.addCleanup(self.listener.close)

    def connect(self):
        """(fd, [the five values]) of a new connection."""
        self.proc.stdin.write(f"connect {self.listener.port}\n")
        self.proc.stdin.flush()
        fd, *v = map(int, self.proc.stdout.readline().split())
        return fd, v

    def close(self):
        """Ends the client; returns its shim lines (without the "tcpkeep[PID]: " prefix)."""
        if self.lines is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
            self.lines = [re.sub(r"^tcpkeep\[\d+\]: ", "", line) for line in shim_lines(self.proc.stderr.read())]
            self.proc.stdout.close()
            self.proc.stderr.close()
        return self.lines


class PolicyReload(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "policy.toml")
        self.write(policy(31))

    def write(self, text, path=None):
        with open(path or self.path, "w") as f:
            f.write(text)

    def replace(self, text):
        """Writes a new file and renames it over the policy, as editors, sed -i and ConfigMaps do."""
        new = self.path + ".new"
        self.write(text, new)
        os.replace(new, self.path)

    def test_a_replaced_file_is_used_from_the_next_connection(self):
        c = Client(self, self.path)
        old_fd, old = c.connect()
        self.assertEqual(old, values(31))
        self.replace(policy(47))
        time.sleep(PAST_A_CHECK)
        fd, new = c.connect()
        self.assertEqual(new, values(47))
        self.assertEqual(list(remote_values(c.proc.pid, fd).values()), values(47))
        self.assertEqual(list(remote_values(c.proc.pid, old_fd).values()), values(31))  # existing sockets keep theirs
        lines = c.close()
        self.assertEqual([l for l in lines if "reloaded" in l], [f"policy {self.path}: 0 active rules (reloaded: the file changed)"])

    def test_verify_reads_the_policy_in_use_after_a_reload(self):
        c = Client(self, self.path)
        c.connect()
        self.replace(policy(47))
        time.sleep(PAST_A_CHECK)
        c.connect()
        verify = subprocess.run([TOOL, "verify", "--pid", str(c.proc.pid), "--json"], capture_output=True, text=True, timeout=60)
        self.assertIn('"policy_origin": "shim"', verify.stdout, verify.stderr)
        # The first socket holds the old policy's values: a mismatch against the policy now in use.
        self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
        self.assertIn('"idle_s": 47', verify.stdout)

    def test_a_file_written_in_place_is_used_once_its_writer_is_done(self):
        c = Client(self, self.path)
        self.assertEqual(c.connect()[1], values(31))
        self.write(policy(47))  # same inode: a writer may still be at work
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(31))  # the change is seen, not yet trusted complete
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(47))  # unchanged for a check interval: used

    def test_an_invalid_edit_keeps_the_old_policy_and_says_so_once(self):
        c = Client(self, self.path)
        self.assertEqual(c.connect()[1], values(31))
        self.replace(policy(47).replace("count = 4", "count = many"))
        for _ in range(2):
            time.sleep(PAST_A_CHECK)
            self.assertEqual(c.connect()[1], values(31))
        self.replace(policy(53))
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(53))
        lines = c.close()
        refused = [l for l in lines if "stays in use" in l]
        self.assertEqual(len(refused), 1, lines)
        self.assertIn(f"{self.path}:6:", refused[0])
        self.assertTrue(refused[0].endswith("; the policy loaded before stays in use"), refused[0])

    def test_a_removed_file_keeps_the_old_policy(self):
        c = Client(self, self.path)
        c.connect()
        os.unlink(self.path)
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(31))
        self.write(policy(59))
        # A new file, but the file system may give it the old one's inode number: then it is taken
        # for an in-place write, and used one check later.
        time.sleep(2 * PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(59))
        lines = c.close()
        self.assertEqual(len([l for l in lines if "No such file or directory; the policy loaded before stays in use" in l]), 1, lines)

    def test_a_policy_unusable_at_start_is_used_once_fixed(self):
        self.replace(policy(47).replace("count = 4", "count = many"))
        c = Client(self, self.path)
        kernel_fd, kernel = c.connect()
        self.assertEqual(kernel[0], 0)  # the shim left the socket as the kernel made it
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1][0], 0)  # the same broken version: not read again
        verify = subprocess.run([TOOL, "verify", "--pid", str(c.proc.pid)], capture_output=True, text=True, timeout=60)
        self.assertEqual(verify.returncode, 2, verify.stdout + verify.stderr)
        self.assertIn("the shim leaves its sockets unchanged until the file is fixed", verify.stderr)
        self.replace(policy(53))
        time.sleep(PAST_A_CHECK)
        fd, fixed = c.connect()
        self.assertEqual(fixed, values(53))
        self.assertEqual(list(remote_values(c.proc.pid, fd).values()), values(53))
        self.assertEqual(list(remote_values(c.proc.pid, kernel_fd).values())[0], 0)
        lines = c.close()
        unusable = [l for l in lines if "unchanged" in l]
        self.assertEqual(len(unusable), 1, lines)
        self.assertTrue(unusable[0].startswith(f"{self.path}:6:"), unusable[0])
        self.assertTrue(unusable[0].endswith("; sockets left unchanged"), unusable[0])
        self.assertIn(f"policy {self.path}: 0 active rules (reloaded: the file changed)", lines)

    def test_a_policy_that_applies_nothing_yet_is_followed(self):
        self.replace('version = 1\n[[rule]]\nprocess = "another-program"\nkeepalive = true\n')
        c = Client(self, self.path)
        self.assertEqual(c.connect()[1][0], 0)
        self.replace(policy(37))
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(37))
        lines = c.close()
        self.assertIn(f"policy {self.path}: 0 active rules: nothing applies to this process; sockets left unchanged",
                      lines)

    def test_the_compiled_form_of_a_new_version_is_used(self):
        c = Client(self, self.path)
        c.connect()
        staged = os.path.join(self.dir, "next.toml")
        self.write(policy(61, count=5), staged)
        subprocess.run([TOOL, "check", "--compile", staged], check=True, capture_output=True, timeout=60)
        os.replace(staged + ".compiled", self.path + ".compiled")
        os.replace(staged, self.path)
        time.sleep(PAST_A_CHECK)
        self.assertEqual(c.connect()[1], values(61, count=5))
        lines = c.close()
        self.assertIn(f"policy {self.path} (compiled form): 0 active rules (reloaded: the file changed)", lines)


if __name__ == "__main__":
    main()
