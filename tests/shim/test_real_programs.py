"""Unmodified real programs under the shim: python3, curl, nc and a C client, with the values read
from outside the process through pidfd_getfd (the same sockets the programs use)."""
import os
import socket
import subprocess
import threading
import time
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, TCP_ESTABLISHED, TCP_LISTEN, Listener, main, remote_values,
                          require_root, shim_env, tcp_sockets)


def wait_for_socket(pid, state, port=None, timeout=10):
    """The fd of pid's first TCP socket in `state` (matching the local or remote port when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fd, (st, local, remote) in tcp_sockets(pid).items():
            if st == state and (port is None or port in (local, remote)):
                return fd
        time.sleep(0.02)
    raise AssertionError(f"process {pid} has no TCP socket in state {state:#x}")


class HoldingServer(Listener):
    """Accepts connections and keeps them open without answering (an idle peer)."""

    def __init__(self):
        super().__init__()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return


class RealPrograms(unittest.TestCase):
    def setUp(self):
        require_root(self)  # pidfd_getfd on our children needs ptrace permission; root has it

    def values_of_running(self, argv, state, port=None, stdin=subprocess.PIPE):
        proc = subprocess.Popen(argv, env=shim_env(), stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            fd = wait_for_socket(proc.pid, state, port)
            return remote_values(proc.pid, fd)
        finally:
            proc.kill()
            proc.wait()

    def test_python_client(self):
        with HoldingServer() as server:
            code = f"import socket,sys; s = socket.create_connection(('127.0.0.1', {server.port})); sys.stdin.read()"
            values = self.values_of_running(["python3", "-c", code], TCP_ESTABLISHED, server.port)
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_python_server(self):
        code = "import socketserver,sys\nserver = socketserver.TCPServer(('127.0.0.1', 0), socketserver.BaseRequestHandler)\nsys.stdin.read()"
        self.assertEqual(self.values_of_running(["python3", "-c", code], TCP_LISTEN), EMBEDDED_DEFAULT)

    def test_curl(self):
        with HoldingServer() as server:
            url = f"http://127.0.0.1:{server.port}/"
            plain = self.values_of_running(["curl", "-s", "--no-keepalive", url], TCP_ESTABLISHED, server.port)
            own = self.values_of_running(["curl", "-s", url], TCP_ESTABLISHED, server.port)
        self.assertEqual(plain, EMBEDDED_DEFAULT)
        # curl enables keepalive itself (idle and interval 60 s): its own choices win over the policy.
        self.assertEqual(own, {**EMBEDDED_DEFAULT, "idle": 60, "interval": 60})

    def test_nc_client_and_listener(self):
        with HoldingServer() as server:
            client = self.values_of_running(["nc", "127.0.0.1", str(server.port)], TCP_ESTABLISHED, server.port)
        listener = self.values_of_running(["nc", "-l", "127.0.0.1", "0"], TCP_LISTEN)
        self.assertEqual(client, EMBEDDED_DEFAULT)
        self.assertEqual(listener, EMBEDDED_DEFAULT)

    def test_c_echo_client(self):
        server = subprocess.Popen([os.environ["TCPKEEP_ECHO_SERVER"], "0"], stderr=subprocess.PIPE, text=True)
        try:
            # echo_server prints nothing useful about an ephemeral port; find it from /proc.
            listen_fd = wait_for_socket(server.pid, TCP_LISTEN)
            port = tcp_sockets(server.pid)[listen_fd][1]
            values = self.values_of_running([os.environ["TCPKEEP_ECHO_CLIENT"], "127.0.0.1", str(port)],
                                            TCP_ESTABLISHED, port)
        finally:
            server.kill()
            server.wait()
        self.assertEqual(values, EMBEDDED_DEFAULT)
        self.assertNotEqual(values, KERNEL_DEFAULTS)


if __name__ == "__main__":
    main()
