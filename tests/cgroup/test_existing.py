"""`tcpkeep attach` on a cgroup whose programs already hold connections: the TCP iterator gives
them the policy's values right away (read back through pidfd_getfd): an idle python client, a
static C program, busybox nc, a static Go program that set keepalive itself (its choice stays
unless the policy enforces), a process in a network namespace of its own; `skip` leaves them;
a sibling cgroup's sockets are untouched; --new-only changes nothing that exists; replacing the
policy re-applies only where the decision changed; `tcpkeep apply --cgroup` goes through the
iterator too, attaching nothing, and falls back to pidfd_getfd where the iterator cannot decide."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from cgrouptest import SOCKPROBE_STATIC, Cgroup, attached_programs, main, require_cgroup_root, tool, write_policy
from go_client import build_go_client
from test_attach import DB, DEFAULTS, KERNEL, ORDER, as_list, policy_text
from tcpkeep_test import TCP_ESTABLISHED, HoldingServer, borrowed_fd, remote_values, tcp_sockets, wait_for_socket

BUSYBOX = shutil.which("busybox")
HOLD = "import socket, sys; s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); print('ready', flush=True); sys.stdin.read()"


def counts(stdout):
    """(set, left as the program's, skipped) from attach's "existing sockets:" line."""
    m = re.search(r"^existing sockets: (\d+) set, (\d+) left as the program's, (\d+) skipped", stdout, re.M)
    return tuple(int(x) for x in m.groups()) if m else None


class ExistingSocketsTest(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def policy(self, db_port, enforce=False, skip=False):
        text = policy_text(db_port, enforce)
        if skip:
            text = text.replace('idle = "30s"\nuser_timeout = "7s"\nenforce = false', 'action = "skip"')
            self.assertIn('action = "skip"', text)
        return write_policy(self.dir.name, "p.toml", text)

    def start_holding(self, cg, argv, port, prefix=()):
        """argv started in cg; once it holds its connection to `port`: (process, pid holding it, fd)."""
        proc = cg.start([*prefix, *argv], stdin=subprocess.PIPE)
        if argv[0] != BUSYBOX:
            for line in proc.stdout:  # sockprobe reports each command first
                if line == "ready\n":
                    break
            else:
                self.fail(f"{argv[0]} did not get ready: {proc.stderr.read()}")
        pid = proc.pid
        return proc, pid, wait_for_socket(pid, TCP_ESTABLISHED, port)

    def python_client(self, cg, port):
        return self.start_holding(cg, ["python3", "-c", HOLD, "127.0.0.1", str(port)], port)

    def static_client(self, cg, port):
        return self.start_holding(cg, [SOCKPROBE_STATIC, "socket", "inet", "stream", "connect", "127.0.0.1", str(port), "wait"], port)

    def test_connections_opened_before_attach_get_the_policy(self):
        if not BUSYBOX:  # scripts/lib/common.sh installs busybox-static
            self.fail("busybox-static is not installed") if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1" else self.skipTest("no busybox")
        with HoldingServer() as db, HoldingServer() as other, Cgroup() as cg:
            held = [self.python_client(cg, db.port), self.static_client(cg, db.port), self.python_client(cg, other.port),
                    self.start_holding(cg, [BUSYBOX, "nc", "127.0.0.1", str(other.port)], other.port)]
            self.assertEqual([as_list(remote_values(pid, fd)) for _, pid, fd in held], [KERNEL] * 4)
            attached = cg.attach(self, self.policy(db.port))
            self.assertEqual(counts(attached.stdout), (4, 0, 0), attached.stdout)
            self.assertEqual([as_list(remote_values(pid, fd)) for _, pid, fd in held], [DB, DB, DEFAULTS, DEFAULTS])
            # The servers' ends, in this process outside the cgroup, are untouched.
            self.assertEqual([as_list(dict(zip(ORDER, self.own_values(c)))) for c in db.conns + other.conns], [KERNEL] * 4)

    @staticmethod
    def own_values(sock):
        import socket
        return [sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)] + [sock.getsockopt(6, o) for o in (4, 5, 6, 18)]

    def test_the_programs_own_keepalive_stays_unless_enforced(self):
        program = build_go_client(self, self.dir.name, cgo=False)
        for enforce, expected in ((False, [1, 15, 15, 5, 7000]), (True, DB)):
            with self.subTest(enforce=enforce), HoldingServer() as db, Cgroup() as cg:
                # Go sets keepalive, idle and interval (15 s) itself after connecting.
                _, pid, fd = self.start_holding(cg, [program, f"127.0.0.1:{db.port}"], db.port)
                self.assertEqual(as_list(remote_values(pid, fd)), [1, 15, 15] + KERNEL[3:])
                attached = cg.attach(self, self.policy(db.port, enforce))
                self.assertEqual(counts(attached.stdout), (1, 0, 0), attached.stdout)
                self.assertIn("is taken as the program's own", attached.stdout)
                self.assertEqual(as_list(remote_values(pid, fd)), expected)

    def test_a_socket_whose_program_chose_every_option_is_left(self):
        with HoldingServer() as db, Cgroup() as cg:
            _, pid, fd = self.start_holding(cg, [SOCKPROBE_STATIC, "socket", "inet", "stream", "connect", "127.0.0.1", str(db.port), "set", "keepalive", "1",
                                                 "set", "idle", "3", "set", "interval", "4", "set", "count", "2", "set", "user_timeout", "5000",
                                                 "wait"], db.port)
            mine = [1, 3, 4, 2, 5000]
            self.assertEqual(as_list(remote_values(pid, fd)), mine)
            self.assertEqual(counts(cg.attach(self, self.policy(db.port)).stdout), (0, 1, 0))
            self.assertEqual(as_list(remote_values(pid, fd)), mine)

    def test_skip_leaves_them(self):
        with HoldingServer() as db, Cgroup() as cg:
            _, pid, fd = self.python_client(cg, db.port)
            attached = cg.attach(self, self.policy(db.port, skip=True))
            self.assertEqual(counts(attached.stdout), (0, 0, 1), attached.stdout)
            self.assertEqual(as_list(remote_values(pid, fd)), KERNEL)

    def test_a_sibling_cgroups_sockets_are_untouched(self):
        with HoldingServer() as db, Cgroup() as sibling, Cgroup() as cg:
            _, theirs, their_fd = self.python_client(sibling, db.port)
            _, ours, our_fd = self.python_client(cg, db.port)
            self.assertEqual(counts(cg.attach(self, self.policy(db.port)).stdout), (1, 0, 0))
            self.assertEqual([as_list(remote_values(ours, our_fd)), as_list(remote_values(theirs, their_fd))], [DB, KERNEL])

    def test_a_child_cgroup_is_covered(self):
        with HoldingServer() as db, Cgroup() as cg, Cgroup(parent=cg) as child:
            _, pid, fd = self.python_client(child, db.port)
            self.assertEqual(counts(cg.attach(self, self.policy(db.port)).stdout), (1, 0, 0))
            self.assertEqual(as_list(remote_values(pid, fd)), DB)

    def test_a_process_in_its_own_network_namespace(self):
        script = os.path.join(self.dir.name, "inside.sh")
        with open(script, "w") as f:
            f.write("ip link set lo up\npython3 -c 'import socket; l = socket.create_server((\"127.0.0.1\", 5555))\n"
                    "c = socket.create_connection((\"127.0.0.1\", 5555)); a = l.accept(); print(\"ready\", flush=True)\n"
                    "import sys; sys.stdin.read()'\n")
        with Cgroup() as cg:
            proc = cg.start(["unshare", "-n", "sh", script], stdin=subprocess.PIPE)
            self.assertEqual(proc.stdout.readline(), "ready\n", proc.stderr)
            pid = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=True).stdout.split()[0])
            self.assertNotEqual(os.stat(f"/proc/{pid}/ns/net").st_ino, os.stat("/proc/self/ns/net").st_ino)
            wait_for_socket(pid, TCP_ESTABLISHED, 5555)
            ends = {remote: fd for fd, (state, local, remote) in tcp_sockets(pid).items() if state == TCP_ESTABLISHED}
            client, accepted = ends[5555], next(fd for remote, fd in ends.items() if remote != 5555)
            attached = cg.attach(self, self.policy(5555))
            # Its namespace's listener, client and accepted socket; the client is "db" (outbound to 5555).
            self.assertEqual(counts(attached.stdout), (3, 0, 0), attached.stdout)
            self.assertIn("(1 network namespace)", attached.stdout)
            self.assertEqual([as_list(remote_values(pid, client)), as_list(remote_values(pid, accepted))], [DB, DEFAULTS])

    def test_new_only_changes_nothing_that_exists(self):
        with HoldingServer() as db, Cgroup() as cg:
            _, pid, fd = self.python_client(cg, db.port)
            r = tool("attach", "--new-only", "--policy", self.policy(db.port), "--cgroup", cg.path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("existing sockets", r.stdout)
            self.assertEqual(as_list(remote_values(pid, fd)), KERNEL)
            _, new_pid, new_fd = self.python_client(cg, db.port)
            self.assertEqual(as_list(remote_values(new_pid, new_fd)), DB)

    def test_replacing_reapplies_only_changed_decisions(self):
        import socket
        with HoldingServer() as db, HoldingServer() as other, Cgroup() as cg:
            _, db_pid, db_fd = self.python_client(cg, db.port)
            _, other_pid, other_fd = self.python_client(cg, other.port)
            self.assertEqual(counts(cg.attach(self, self.policy(db.port)).stdout), (2, 0, 0))
            # Keepalive turned off on the socket [defaults] decides, as a program could: its default
            # value, so a re-application would turn it on again.
            with socket.socket(fileno=borrowed_fd(other_pid, other_fd)) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 0)
            replaced = cg.attach(self, write_policy(self.dir.name, "q.toml", policy_text(db.port).replace('"30s"', '"40s"')),
                                 expect="replaced")
            self.assertEqual(counts(replaced.stdout), (1, 0, 0), replaced.stdout)
            self.assertIn(", 1 unchanged (the replaced policy decided the same)", replaced.stdout)
            # The rule's idle was the replaced policy's (30 s), not the program's: it follows the new policy.
            self.assertEqual([as_list(remote_values(db_pid, db_fd)), as_list(remote_values(other_pid, other_fd))],
                             [[1, 40, 11, 5, 7000], [0, 61, 11, 5, 9000]])

    def test_apply_to_a_cgroup_through_the_iterator_attaches_nothing(self):
        with HoldingServer() as db, HoldingServer() as other, Cgroup() as cg, Cgroup(parent=cg) as child:
            held = [self.static_client(cg, db.port), self.python_client(child, other.port)]
            policy = self.policy(db.port)
            r = tool("apply", "--cgroup", cg.path, "--policy", policy)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertTrue(r.stdout.startswith(f"applied {policy} to the existing sockets of cgroup {cg.path} through the kernel's TCP "
                                                "iterator (no ptrace; 1 network namespace): 2 set, 0 left as the program's, 0 skipped\n"),
                            r.stdout)
            self.assertEqual([as_list(remote_values(pid, fd)) for _, pid, fd in held], [DB, DEFAULTS])
            self.assertEqual([attached_programs(cg.directory), attached_programs(child.directory)], [[], []])
            # A socket made afterwards gets nothing: apply is once.
            self.assertEqual(as_list(remote_values(*self.python_client(cg, db.port)[1:])), KERNEL)

    def test_apply_to_a_cgroup_falls_back_to_pidfd_getfd(self):
        # A glob in `process`: the kernel cannot match it as the shim does; each process is given the
        # policy through pidfd_getfd instead, and the output says so.
        with HoldingServer() as db, Cgroup() as cg:
            _, pid, fd = self.python_client(cg, db.port)
            policy = write_policy(self.dir.name, "glob.toml", policy_text(db.port) + '\n[[rule]]\nprocess = ["pyth*"]\nidle = "44s"\n')
            r = tool("apply", "--cgroup", cg.path, "--policy", policy)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"tcpkeep: cgroup {cg.path}: the kernel's TCP iterator cannot be used: it cannot decide this policy as the shim "
                          "would:\n", r.stderr)
            self.assertIn("tcpkeep: applying through pidfd_getfd, process by process\n", r.stderr)
            self.assertEqual(as_list(remote_values(pid, fd)), DB)  # "db" comes before the glob rule


if __name__ == "__main__":
    main()
