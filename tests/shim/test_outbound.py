"""Outbound sockets get the policy in connect(): values read back from the kernel by the program."""
import socket

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, Listener, PolicyFile, main, parse_values, run_probe)
import unittest


def connect_and_show(host, port, policy=None, family="inet", before=(), after=()):
    lines, _ = run_probe(["socket", family, "stream", *before, "connect", host, port, *after, "show"], policy=policy)
    return lines, parse_values(lines[-1])


class Outbound(unittest.TestCase):
    def test_embedded_default_ipv4(self):
        with Listener() as l:
            lines, values = connect_and_show("127.0.0.1", l.port)
        self.assertIn("connect rc=0 errno=0", lines)
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_embedded_default_ipv6(self):
        with Listener(socket.AF_INET6, "::1") as l:
            _, values = connect_and_show("::1", l.port, family="inet6")
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_v4_mapped_peer_matches_ipv4_cidr(self):
        policy = 'version = 1\n[[rule]]\npeers = ["127.0.0.0/8"]\nkeepalive = true\nidle = "33s"\n'
        with Listener(socket.AF_INET6, "::") as l, PolicyFile(policy) as p:
            _, values = connect_and_show("::ffff:127.0.0.1", l.port, policy=p.path, family="inet6")
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 33})

    def test_each_option_alone(self):
        settings = {"ka": ("keepalive = true", 1), "idle": ('idle = "41s"', 41), "interval": ('interval = "7s"', 7),
                    "count": ("count = 4", 4), "user_timeout": ('user_timeout = "2500ms"', 2500)}
        with Listener() as l:
            for key, (line, expected) in settings.items():
                with self.subTest(option=key), PolicyFile(f"version = 1\n[defaults]\n{line}\n") as p:
                    _, values = connect_and_show("127.0.0.1", l.port, policy=p.path)
                    self.assertEqual(values, {**KERNEL_DEFAULTS, key: expected})

    def test_first_matching_rule_wins_and_other_ports_untouched(self):
        with Listener() as l, Listener() as other:
            policy = (f'version = 1\n[[rule]]\nname = "first"\nports = [{l.port}]\nidle = "11s"\n'
                      f'[[rule]]\nname = "second"\nports = ["1-65535"]\nidle = "22s"\ndirection = "inbound"\n'
                      f'[[rule]]\nname = "third"\nports = [{l.port}, {other.port}]\nidle = "33s"\n')
            with PolicyFile(policy) as p:
                _, first = connect_and_show("127.0.0.1", l.port, policy=p.path)
                _, third = connect_and_show("127.0.0.1", other.port, policy=p.path)
            with PolicyFile(f'version = 1\n[[rule]]\nports = [{l.port}]\nidle = "11s"\n') as p:
                _, untouched = connect_and_show("127.0.0.1", other.port, policy=p.path)
        self.assertEqual(first, {**KERNEL_DEFAULTS, "idle": 11})
        self.assertEqual(third, {**KERNEL_DEFAULTS, "idle": 33})
        self.assertEqual(untouched, KERNEL_DEFAULTS)

    def test_skip_rule_leaves_socket_as_made(self):
        with Listener() as l:
            policy = f'version = 1\n[defaults]\nkeepalive = true\n[[rule]]\nports = [{l.port}]\naction = "skip"\n'
            with PolicyFile(policy) as p:
                _, values = connect_and_show("127.0.0.1", l.port, policy=p.path, before=("set", "count", "5"))
        self.assertEqual(values, {**KERNEL_DEFAULTS, "count": 5})

    def test_program_choice_wins_before_and_after_connect(self):
        with Listener() as l:
            _, before = connect_and_show("127.0.0.1", l.port, before=("set", "idle", "77", "set", "keepalive", "0"))
            _, after = connect_and_show("127.0.0.1", l.port, after=("set", "idle", "88"))
        self.assertEqual(before, {**EMBEDDED_DEFAULT, "idle": 77, "ka": 0})
        self.assertEqual(after, {**EMBEDDED_DEFAULT, "idle": 88})

    def test_enforce_ignores_program_setsockopt(self):
        policy = 'version = 1\n[defaults]\nkeepalive = true\nidle = "30s"\nenforce = true\n'
        with Listener() as l, PolicyFile(policy) as p:
            lines, values = connect_and_show("127.0.0.1", l.port, policy=p.path, before=("set", "idle", "77"),
                                             after=("set", "idle", "88", "set", "keepalive", "0", "set", "count", "3"))
        self.assertEqual(lines.count("set rc=0 errno=0"), 4)  # the program sees success every time
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 30, "count": 3})  # count is not enforced

    def test_nonblocking_connect_keeps_einprogress_and_applies(self):
        with Listener() as l:
            lines, _ = run_probe(["socket", "inet", "stream", "nonblock", "connect", "127.0.0.1", l.port, "show"])
        self.assertRegex(lines[1], r"connect rc=(-1 errno=EINPROGRESS|0 errno=0)")
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)

    def test_fast_open_sendto_applies(self):
        with Listener() as l:
            lines, _ = run_probe(["socket", "inet", "stream", "fastopen", "127.0.0.1", l.port, "show"])
        self.assertEqual(lines[1], "fastopen rc=1 errno=0")
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)


class NotTcp(unittest.TestCase):
    """UDP, unix, SEQPACKET, raw-ish and MPTCP sockets are never touched."""

    def test_udp_unix_seqpacket_mptcp_untouched(self):
        with Listener() as l:
            cases = {
                "udp": ["socket", "inet", "dgram", "connect", "127.0.0.1", l.port, "show"],
                "mptcp": ["socket", "inet", "stream", "262", "connect", "127.0.0.1", l.port, "show"],
                "unix stream": ["socket", "unix", "stream", "show"],
                "unix seqpacket": ["socket", "unix", "seqpacket", "show"],
            }
            for name, args in cases.items():
                with self.subTest(name):
                    plain, _ = run_probe(args, preload=False)
                    shimmed, _ = run_probe(args)
                    self.assertEqual(shimmed, plain)
        self.assertIn("ka=0", plain[-1])

    def test_socketpair_untouched(self):
        import subprocess
        from tcpkeep_test import shim_env
        code = "import socket; a, b = socket.socketpair(); print(a.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))"
        out = subprocess.run(["python3", "-c", code], env=shim_env(), capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.strip(), "0")


if __name__ == "__main__":
    main()
