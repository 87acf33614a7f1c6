"""Inbound: the listener is configured once and accepted sockets inherit; peer rules decide per accept."""
import socket
import subprocess
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, SOCKPROBE, PolicyFile, main, parse_values, shim_env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_show(policy=None, host="127.0.0.1", family="inet", port=0, client_source=None, accept="accept"):
    """sockprobe listens, the test connects (optionally from client_source), sockprobe shows the accepted socket."""
    probe = subprocess.Popen([SOCKPROBE, "socket", family, "stream", "bind", host, str(port), "listen", "show", accept, "show"],
                             env=shim_env(policy), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        probe.stdout.readline()  # socket
        probe.stdout.readline()  # bind
        listen = probe.stdout.readline()
        listener_values = parse_values(probe.stdout.readline())
        port = int(listen.split("port=")[1])
        client = socket.socket(socket.AF_INET6 if family == "inet6" else socket.AF_INET)
        if client_source:
            client.bind((client_source, 0))
        client.connect((host, port))
        out, err = probe.communicate(timeout=10)
        client.close()
    finally:
        probe.kill()
    return listener_values, parse_values(out.splitlines()[-1]), err


class Inbound(unittest.TestCase):
    def test_listener_and_accepted_get_embedded_default(self):
        for accept in ("accept", "accept4"):
            with self.subTest(accept):
                listener, accepted, _ = serve_and_show(accept=accept)
                self.assertEqual(listener, EMBEDDED_DEFAULT)
                self.assertEqual(accepted, EMBEDDED_DEFAULT)

    def test_ipv6_listener(self):
        listener, accepted, _ = serve_and_show(host="::1", family="inet6")
        self.assertEqual((listener, accepted), (EMBEDDED_DEFAULT, EMBEDDED_DEFAULT))

    def test_inbound_rule_by_local_port_and_direction(self):
        port = free_port()
        policy = (f'version = 1\n[[rule]]\ndirection = "outbound"\nports = [{port}]\nidle = "11s"\n'
                  f'[[rule]]\ndirection = "inbound"\nports = [{port}]\nkeepalive = true\nidle = "22s"\n')
        with PolicyFile(policy) as p:
            listener, accepted, _ = serve_and_show(p.path, port=port)
        self.assertEqual(accepted, {**KERNEL_DEFAULTS, "ka": 1, "idle": 22})
        self.assertEqual(listener, accepted)

    def test_peer_rules_decide_per_accepted_connection(self):
        policy = ('version = 1\n[defaults]\nkeepalive = true\nidle = "50s"\n'
                  '[[rule]]\ndirection = "inbound"\npeers = ["127.0.0.2/32"]\nkeepalive = true\nidle = "5s"\n')
        with PolicyFile(policy) as p:
            listener, from_other, _ = serve_and_show(p.path, host="0.0.0.0", client_source="127.0.0.1")
            _, from_peer, _ = serve_and_show(p.path, host="0.0.0.0", client_source="127.0.0.2")
        self.assertEqual(listener, KERNEL_DEFAULTS)  # left alone: the decision needs each peer
        self.assertEqual(from_other, {**KERNEL_DEFAULTS, "ka": 1, "idle": 50})
        self.assertEqual(from_peer, {**KERNEL_DEFAULTS, "ka": 1, "idle": 5})

    def test_inherited_listener_configured_at_first_accept(self):
        """A listener the shim never saw listen() (socket activation): configured at the first accept."""
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.set_inheritable(True)
        fd = listener.fileno()
        client = socket.create_connection(listener.getsockname())  # queued before the shim sees it
        out = subprocess.run([SOCKPROBE, "use", str(fd), "accept", "show", "use", str(fd), "show"], env=shim_env(),
                             capture_output=True, text=True, pass_fds=(fd,), timeout=10).stdout.splitlines()
        client.close()
        listener.close()
        self.assertEqual(parse_values(out[1]), EMBEDDED_DEFAULT)  # the queued connection
        self.assertEqual(parse_values(out[2]), EMBEDDED_DEFAULT)  # the listener, for later ones


if __name__ == "__main__":
    main()
