"""Unmodified real programs under the shim: python3, curl, nc and a C client, with the values read
from outside the process through pidfd_getfd (the same sockets the programs use)."""
import os
import subprocess
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, SHIM, TCP_ESTABLISHED, TCP_LISTEN, HoldingServer, main,
                          require_root, shim_env, tcp_sockets, values_of_running, wait_for_socket)


class RealPrograms(unittest.TestCase):
    def setUp(self):
        require_root(self)  # pidfd_getfd on our children needs ptrace permission; root has it

    values_of_running = staticmethod(values_of_running)

    def test_python_client(self):
        with HoldingServer() as server:
            code = f"import socket,sys; s = socket.create_connection(('127.0.0.1', {server.port})); sys.stdin.read()"
            values = self.values_of_running(["python3", "-c", code], TCP_ESTABLISHED, server.port)
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_python_server(self):
        code = "import socketserver,sys\nserver = socketserver.TCPServer(('127.0.0.1', 0), socketserver.BaseRequestHandler)\nsys.stdin.read()"
        self.assertEqual(self.values_of_running(["python3", "-c", code], TCP_LISTEN), EMBEDDED_DEFAULT)

    def test_curl(self):
        # curl hangs in glibc's setlocale() when libasan is preloaded, shim or not: in sanitizer builds
        # it gets only the shim, whose sanitizer runtime then loads late (cmake/sanitizers.cmake).
        env = shim_env(LD_PRELOAD=SHIM)
        with HoldingServer() as server:
            url = f"http://127.0.0.1:{server.port}/"
            plain = self.values_of_running(["curl", "-s", "--no-keepalive", url], TCP_ESTABLISHED, server.port, env)
            own = self.values_of_running(["curl", "-s", url], TCP_ESTABLISHED, server.port, env)
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
