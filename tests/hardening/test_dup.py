"""dup(), dup2() and dup3() of sockets under the shim. The shim keeps what it knows per fd number:
a duplicate names the same socket, so it carries the same record (configured, the options the
program set, enforced ones); the fd a dup2/dup3 replaces loses its old record. Duplicates the shim
cannot see (fcntl F_DUPFD, fds passed over unix sockets) are probed once, with one getsockopt.
Each case runs sockprobe with and without the shim where both must agree."""
import unittest

from tcpkeep_test import EMBEDDED_DEFAULT, KERNEL_DEFAULTS, Listener, PolicyFile, main, parse_values, run_probe

TCP = ["socket", "inet", "stream"]


class Duplicates(unittest.TestCase):
    def setUp(self):
        self.listener = Listener()
        self.addCleanup(self.listener.close)
        self.connect = ["connect", "127.0.0.1", str(self.listener.port)]

    def values(self, args, **kw):
        lines, stderr = run_probe([*args, "show"], **kw)
        self.assertEqual(stderr, "")
        return lines[:-1], parse_values(lines[-1])

    def test_program_option_survives_connect_through_dup(self):
        lines, values = self.values(TCP + ["set", "idle", "5", "dup"] + self.connect)
        self.assertEqual(lines[2:], ["dup fd=4 errno=0", "connect rc=0 errno=0"])
        self.assertEqual(values, {**EMBEDDED_DEFAULT, "idle": 5})

    def test_dup2_onto_itself_changes_nothing(self):
        lines, values = self.values(TCP + ["set", "idle", "5", "dup2", "3"] + self.connect)
        self.assertEqual(lines[2], "dup2 rc=3 errno=0")
        self.assertEqual(values, {**EMBEDDED_DEFAULT, "idle": 5})

    def test_new_socket_duplicated_over_a_configured_one_gets_the_policy(self):
        for call in ("dup2", "dup3"):
            with self.subTest(call):
                # fd 3 connected (configured); a new socket, fd 4, replaces it on fd 3 and connects.
                lines, values = self.values(TCP + self.connect + TCP + [call, "3"] + self.connect)
                self.assertEqual(lines[3:], [f"{call} rc=3 errno=0", "connect rc=0 errno=0"])
                self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_udp_socket_duplicated_over_a_tcp_one_stays_untouched(self):
        args = TCP + ["socket", "inet", "dgram", "dup2", "3"] + self.connect + ["show"]
        plain = run_probe(args, preload=False)
        self.assertEqual(run_probe(args), plain)
        self.assertEqual(plain[0][-1], "ka=0 idle=EOPNOTSUPP interval=EOPNOTSUPP count=EOPNOTSUPP user_timeout=EOPNOTSUPP")

    def test_enforcement_does_not_follow_the_fd_number(self):
        # fd 3's socket had enforced options; the socket dup2'ed onto fd 3 did not: its own setsockopt counts.
        policy = f'version = 1\n[[rule]]\nports = [{self.listener.port}]\nkeepalive = true\nidle = "30s"\nenforce = true\n'
        with PolicyFile(policy) as p, Listener() as other:
            lines, values = self.values(TCP + self.connect + TCP + ["dup2", "3", "set", "idle", "5",
                                                                    "connect", "127.0.0.1", str(other.port)], policy=p.path)
        self.assertEqual(lines[4:], ["set rc=0 errno=0", "connect rc=0 errno=0"])
        self.assertEqual(values, {**KERNEL_DEFAULTS, "idle": 5})


if __name__ == "__main__":
    main()
