"""Every hook returns exactly what the real call returns, errno included: each scenario is run
with and without the shim and must print the same lines (and the errno we expect)."""
import re
import socket
import unittest

from tcpkeep_test import Listener, SilentListener, main, run_probe


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ErrnoMatrix(unittest.TestCase):
    def assert_same_with_and_without_shim(self, args, expected_line):
        ephemeral = re.compile(r"port=[1-9]\d*")  # listen() on port 0 picks a new port each run
        plain = [ephemeral.sub("port=N", line) for line in run_probe(args, preload=False)[0]]
        shimmed, stderr = run_probe(args)
        shimmed = [ephemeral.sub("port=N", line) for line in shimmed]
        self.assertEqual(shimmed, plain)
        self.assertIn(expected_line, shimmed)
        self.assertEqual(stderr, "")

    def test_connect(self):
        with Listener() as l:
            cases = {
                "ECONNREFUSED": (["socket", "inet", "stream", "connect", "127.0.0.1", closed_port()], "connect rc=-1 errno=ECONNREFUSED"),
                "EBADF": (["use", "999", "connect", "127.0.0.1", l.port], "connect rc=-1 errno=EBADF"),
                "ENOTSOCK": (["use", "0", "connect", "127.0.0.1", l.port], "connect rc=-1 errno=ENOTSOCK"),
                "EAFNOSUPPORT": (["socket", "inet", "stream", "connect", "::1", l.port], "connect rc=-1 errno=EAFNOSUPPORT"),
                "EISCONN": (["socket", "inet", "stream", "connect", "127.0.0.1", l.port, "connect", "127.0.0.1", l.port],
                            "connect rc=-1 errno=EISCONN"),
                "success": (["socket", "inet", "stream", "connect", "127.0.0.1", l.port], "connect rc=0 errno=0"),
            }
            for name, (args, expected) in cases.items():
                with self.subTest(name):
                    self.assert_same_with_and_without_shim(args, expected)

    def test_connect_blocked_and_bad_arguments(self):
        tcp = ["socket", "inet", "stream"]
        with SilentListener() as silent, Listener() as l:
            cases = {
                "EINTR": (tcp + ["alarm", "200", "connect", "127.0.0.1", silent.port], "connect rc=-1 errno=EINTR"),
                "EINPROGRESS": (tcp + ["nonblock", "connect", "127.0.0.1", silent.port], "connect rc=-1 errno=EINPROGRESS"),
                "EALREADY": (tcp + ["nonblock", "connect", "127.0.0.1", silent.port, "connect", "127.0.0.1", silent.port],
                             "connect rc=-1 errno=EALREADY"),
                # Lengths the shim reads no address from (too short) and one it does (longer than any address).
                "EINVAL short addrlen": (tcp + ["connectlen", "127.0.0.1", l.port, "8"], "connect rc=-1 errno=EINVAL"),
                "EINVAL addrlen past sockaddr_storage": (tcp + ["connectlen", "127.0.0.1", l.port, "129"], "connect rc=-1 errno=EINVAL"),
                "EINVAL then a good connect": (tcp + ["connectlen", "127.0.0.1", l.port, "129", "connect", "127.0.0.1", l.port],
                                               "connect rc=0 errno=0"),
                "EFAULT NULL address": (tcp + ["connectnull", "16"], "connect rc=-1 errno=EFAULT"),
                "NULL address of length 0": (tcp + ["connectnull", "0"], "connect rc=-1 errno=EINVAL"),
            }
            for name, (args, expected) in cases.items():
                with self.subTest(name):
                    self.assert_same_with_and_without_shim(args, expected)

    def test_accept_and_listen(self):
        listening = ["socket", "inet", "stream", "bind", "127.0.0.1", "0", "listen"]
        cases = {
            "EAGAIN": (listening + ["nonblock", "accept"], "accept rc=-1 errno=EAGAIN"),
            "EAGAIN accept4": (listening + ["nonblock", "accept4"], "accept4 rc=-1 errno=EAGAIN"),
            "EINTR": (listening + ["alarm", "100", "accept"], "accept rc=-1 errno=EINTR"),
            "EINVAL not listening": (["socket", "inet", "stream", "accept"], "accept rc=-1 errno=EINVAL"),
            "EBADF": (["use", "999", "accept"], "accept rc=-1 errno=EBADF"),
            "ENOTSOCK": (["use", "0", "accept4"], "accept4 rc=-1 errno=ENOTSOCK"),
            "listen EBADF": (["use", "999", "listen"], "listen rc=-1 errno=EBADF port=none"),
            "listen EOPNOTSUPP": (["socket", "inet", "dgram", "listen"], "listen rc=-1 errno=EOPNOTSUPP port=0"),
        }
        for name, (args, expected) in cases.items():
            with self.subTest(name):
                self.assert_same_with_and_without_shim(args, expected)

    def test_setsockopt(self):
        cases = {
            "idle 0": (["socket", "inet", "stream", "set", "idle", "0"], "set rc=-1 errno=EINVAL"),
            "count 128": (["socket", "inet", "stream", "set", "count", "128"], "set rc=-1 errno=EINVAL"),
            "user_timeout -1": (["socket", "inet", "stream", "set", "user_timeout", "-1"], "set rc=-1 errno=EINVAL"),
            "EBADF": (["use", "999", "set", "idle", "5"], "set rc=-1 errno=EBADF"),
            "udp idle": (["socket", "inet", "dgram", "set", "idle", "5"], "set rc=-1 errno=ENOPROTOOPT"),
            "ok": (["socket", "inet", "stream", "set", "keepalive", "1"], "set rc=0 errno=0"),
        }
        for name, (args, expected) in cases.items():
            with self.subTest(name):
                self.assert_same_with_and_without_shim(args, expected)

    def test_socket(self):
        cases = {
            "EAFNOSUPPORT-ish bad protocol": (["socket", "inet", "stream", "17"], "socket fd=-1 errno=EPROTONOSUPPORT"),
            "tcp": (["socket", "inet6", "stream"], "socket fd=3 errno=0"),
        }
        for name, (args, expected) in cases.items():
            with self.subTest(name):
                self.assert_same_with_and_without_shim(args, expected)


if __name__ == "__main__":
    main()
