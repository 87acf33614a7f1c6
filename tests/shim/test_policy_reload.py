"""A program under the shim follows edits of its policy file without a restart: its next connection
after a change uses the new policy (the shim checks the file at most once a second, and only when
the program decides about a TCP socket); an invalid edit keeps the old policy with one log line;
sockets made before keep their values; verify reads the policy now in use. A server that only
accepts does the same: its listeners are decided again, and the connections it accepts from then
on (those already queued and those being accepted at the time included) hold the new values.
Values are read back from the kernel by the program itself (getsockopt on its own sockets) and by
pidfd_getfd."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from tcpkeep_test import KERNEL_DEFAULTS, TOOL, Listener, main, remote_values, shim_env, shim_lines

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

# A server that accepts when told: prints its listener's fd and port, then for "accept N" accepts N
# connections and prints their fds; "close FD" closes one. Accepted sockets are kept open. An
# argument: the idle time it sets on its listener itself.
SERVER = r"""
import socket, sys
l = socket.create_server(("127.0.0.1", 0))
if sys.argv[1:]:
    l.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(sys.argv[1]))
print(l.fileno(), l.getsockname()[1], flush=True)
kept = {}
for line in sys.stdin:
    cmd, n = line.split()
    if cmd == "accept":
        accepted = [l.accept()[0] for _ in range(int(n))]
        kept.update((c.fileno(), c) for c in accepted)
        print(*[c.fileno() for c in accepted], flush=True)
    else:
        kept.pop(int(n)).close()
        print("closed", flush=True)
"""

# A server accepting in THREADS threads at once on one listener; prints each accepted fd.
THREADED_SERVER = r"""
import socket, sys, threading
l = socket.create_server(("127.0.0.1", 0), backlog=128)
print(l.fileno(), l.getsockname()[1], flush=True)
kept, lock = [], threading.Lock()
def serve():
    while True:
        c = l.accept()[0]
        with lock:
            kept.append(c)
            print(c.fileno(), flush=True)
for _ in range(int(sys.argv[1])):
    threading.Thread(target=serve, daemon=True).start()
sys.stdin.read()
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


class Server:
    """SERVER under the shim with the policy at policy_path."""

    def __init__(self, test, policy_path, program=SERVER, args=()):
        self.proc = subprocess.Popen([sys.executable, "-c", program, *args], env=shim_env(policy_path, log="info"), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        test.addCleanup(self.close)
        self.clients = []
        self.lines = None
        self.listener, self.port = map(int, self.proc.stdout.readline().split())

    def connect(self, n=1):
        """n new connections to the server, made (and queued in its listener) before it accepts them."""
        self.clients += [socket.create_connection(("127.0.0.1", self.port)) for _ in range(n)]

    def accept(self, n=1):
        """Has the server accept n connections (blocking until they come); returns their fds."""
        self.proc.stdin.write(f"accept {n}\n")
        self.proc.stdin.flush()
        return self.accepted()

    def start_accepting(self):
        """The server blocks in accept() until a connection comes; accepted() reads the outcome."""
        self.proc.stdin.write("accept 1\n")
        self.proc.stdin.flush()

    def accepted(self):
        return [int(fd) for fd in self.proc.stdout.readline().split()]

    def close_accepted(self, fd):
        self.proc.stdin.write(f"close {fd}\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()

    def values(self, fd):
        """The five values of the server's fd, read through pidfd_getfd."""
        return list(remote_values(self.proc.pid, fd).values())

    def verify(self):
        return subprocess.run([TOOL, "verify", "--pid", str(self.proc.pid)], capture_output=True, text=True, timeout=60)

    def close(self):
        """Ends the server; returns its shim lines (without the "tcpkeep[PID]: " prefix)."""
        if self.lines is None:
            for c in self.clients:
                c.close()
            self.proc.kill()
            self.proc.wait(timeout=20)
            self.lines = [re.sub(r"^tcpkeep\[\d+\]: ", "", line) for line in shim_lines(self.proc.stderr.read())]
            self.proc.stdin.close()
            self.proc.stdout.close()
            self.proc.stderr.close()
        return self.lines


class EditedPolicy(unittest.TestCase):
    """A policy file (idle FIRST_IDLE s) that the test edits as editors do."""
    FIRST_IDLE = 31

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "policy.toml")
        self.write(policy(self.FIRST_IDLE))

    def write(self, text, path=None):
        with open(path or self.path, "w") as f:
            f.write(text)

    def replace(self, text):
        """Writes a new file and renames it over the policy, as editors, sed -i and ConfigMaps do."""
        new = self.path + ".new"
        self.write(text, new)
        os.replace(new, self.path)


class PolicyReload(EditedPolicy):
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
        # A new file, but the file system may give it the old one's inode number: then the first
        # check (made only when the program decides about a socket) takes it for an in-place write,
        # and the next check uses it.
        time.sleep(PAST_A_CHECK)
        self.assertIn(c.connect()[1], [values(31), values(59)])
        time.sleep(PAST_A_CHECK)
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


# Inbound connections left alone, outbound ones still set: the rule a server's edit may add or drop.
SKIP_INBOUND = '[[rule]]\nname = "leave servers"\ndirection = "inbound"\naction = "skip"\n'


class ServerPolicyReload(EditedPolicy):
    """A server that never connects out: the edit (idle 61 s -> 67 s) reaches it through its accepts."""
    FIRST_IDLE = 61

    def assert_reaches_new_connections(self, server, expected, old_fd):
        """Three new connections, made before the server accepts them: all hold `expected`, as does
        the listener; with the connection from before closed, verify agrees (exit 0)."""
        server.connect(3)
        fds = server.accept(3)
        self.assertEqual([server.values(fd) for fd in fds], [expected] * 3)
        self.assertEqual(server.values(server.listener), expected)
        server.close_accepted(old_fd)
        verify = server.verify()
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    def test_a_replaced_file_reaches_the_next_accepted_connections(self):
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        self.assertEqual(server.values(old_fd), values(61))
        server.start_accepting()  # blocked in accept() when the file changes
        self.replace(policy(67))
        time.sleep(PAST_A_CHECK)
        server.connect()
        first, = server.accepted()
        self.assertEqual(server.values(first), values(67))
        self.assert_reaches_new_connections(server, values(67), old_fd)
        lines = server.close()
        self.assertEqual([l for l in lines if "reloaded" in l], [f"policy {self.path}: 0 active rules (reloaded: the file changed)"])

    def test_connections_queued_before_the_change_get_the_new_values(self):
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        self.replace(policy(67))
        time.sleep(PAST_A_CHECK)
        # All made with the old listener values; the first accept finds the change.
        server.connect(5)
        fds = server.accept(5)
        self.assertEqual([server.values(fd) for fd in fds], [values(67)] * 5)
        self.assertEqual(server.values(old_fd), values(61))  # sockets accepted before keep theirs

    def test_a_file_written_in_place_reaches_the_server_once_its_writer_is_done(self):
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        self.write(policy(67))
        time.sleep(PAST_A_CHECK)
        server.connect()
        seen_fd, = server.accept()
        self.assertEqual(server.values(seen_fd), values(61))  # the change is seen, not yet trusted complete
        server.close_accepted(seen_fd)
        time.sleep(PAST_A_CHECK)
        self.assert_reaches_new_connections(server, values(67), old_fd)

    def test_an_edit_to_skip_gives_the_next_connections_the_kernels_values(self):
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        self.replace(policy(61) + SKIP_INBOUND)
        time.sleep(PAST_A_CHECK)
        kernel = list(KERNEL_DEFAULTS.values())
        self.assert_reaches_new_connections(server, kernel, old_fd)

    def test_an_edit_from_skip_to_apply_reaches_the_server(self):
        self.replace(policy(61) + SKIP_INBOUND)
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        kernel = list(KERNEL_DEFAULTS.values())
        self.assertEqual([server.values(old_fd), server.values(server.listener)], [kernel, kernel])
        self.replace(policy(67))
        time.sleep(PAST_A_CHECK)
        self.assert_reaches_new_connections(server, values(67), old_fd)

    def test_an_edit_that_enforces_overrides_the_servers_own_choice(self):
        server = Server(self, self.path, args=["300"])
        server.connect()
        old_fd, = server.accept()
        self.assertEqual(server.values(old_fd), [1, 300, 7, 4, 51000])  # its own idle wins: not enforced
        self.replace(policy(67).replace("[defaults]\n", "[defaults]\nenforce = true\n"))
        time.sleep(PAST_A_CHECK)
        self.assert_reaches_new_connections(server, values(67), old_fd)

    def test_an_edit_that_names_peers_decides_each_connection_and_leaves_the_listener(self):
        server = Server(self, self.path)
        server.connect()
        old_fd, = server.accept()
        self.replace(policy(61) + '[[rule]]\ndirection = "inbound"\npeers = ["127.0.0.0/8"]\nidle = "67s"\n')
        time.sleep(PAST_A_CHECK)
        server.connect(3)
        fds = server.accept(3)
        self.assertEqual([server.values(fd) for fd in fds], [values(67)] * 3)
        # Decided per connection now: the listener holds nothing of the shim's, as if it started so.
        self.assertEqual(server.values(server.listener), list(KERNEL_DEFAULTS.values()))

    def test_an_invalid_or_removed_file_keeps_the_servers_policy(self):
        server = Server(self, self.path)
        self.replace(policy(67).replace("count = 4", "count = many"))
        for _ in range(2):
            time.sleep(PAST_A_CHECK)
            server.connect()
            fd, = server.accept()
            self.assertEqual([server.values(fd), server.values(server.listener)], [values(61)] * 2)
        os.unlink(self.path)
        time.sleep(PAST_A_CHECK)
        server.connect()
        fd, = server.accept()
        self.assertEqual(server.values(fd), values(61))
        lines = server.close()
        self.assertEqual(len([l for l in lines if l.endswith("; the policy loaded before stays in use")]), 2, lines)
        self.assertEqual(len([l for l in lines if f"{self.path}:6:" in l]), 1, lines)

    def test_threads_accepting_at_once_all_get_the_new_values(self):
        server = Server(self, self.path, THREADED_SERVER, ["8"])
        # Rules for other ports make the new version take ~10 ms to load: accepts in other threads meanwhile.
        others = "".join(f'[[rule]]\ndirection = "outbound"\nports = [{port}]\nidle = "5s"\n' for port in range(10000, 15000))
        self.replace(policy(67) + others)
        time.sleep(PAST_A_CHECK)
        # 120 connections while 8 threads accept: the change is found by one of them, in the middle
        # of the others' accepts; every connection, whenever the kernel made it, holds the new values.
        for _ in range(6):
            server.connect(20)
        fds = [int(server.proc.stdout.readline()) for _ in range(120)]
        self.assertEqual({fd: server.values(fd) for fd in fds}, {fd: values(67) for fd in fds})
        self.assertEqual(server.values(server.listener), values(67))


if __name__ == "__main__":
    main()
