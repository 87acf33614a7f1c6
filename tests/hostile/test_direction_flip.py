"""Issue 25, attack 7: a user turns a socket the policy skips into one root's `apply` changes.

Without the shim's record, the tool infers a socket's direction. It used to call a socket inbound
when any listener of the namespace had its local port, whatever the address: a user listening on
127.0.0.2:<the victim's local port> made `apply` set keepalive on an outbound socket whose rule is
`skip`. Now a listener counts only on the socket's own address (or the wildcard address), and a
direction that is only a guess never lets `apply` change a socket the policy decides differently
by direction."""
import socket
import subprocess

from hostile import TOOL, Attacker, environment, main, tool_json, unittest
from tcpkeep_test import PolicyFile, remote_values

POLICY = """version = 1
[[rule]]
name = "outbound left alone"
direction = "outbound"
action = "skip"
[[rule]]
name = "inbound"
direction = "inbound"
idle = "33s"
"""

VICTIM = """import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("ready", c.getsockname()[1], c.fileno(), flush=True)
sys.stdin.read()
"""


class DirectionFlip(unittest.TestCase):
    def victim(self, server_port):
        """Root's process with one outbound connection and no shim; (process, its local port, its fd)."""
        proc = subprocess.Popen(["/usr/bin/python3", "-c", VICTIM, str(server_port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, env=environment())
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        _, port, fd = proc.stdout.readline().split()
        return proc, int(port), int(fd)

    def test_a_listener_on_another_address_with_the_same_port(self):
        with socket.create_server(("127.0.0.1", 0)) as server:
            proc, port, fd = self.victim(server.getsockname()[1])
            attacker = Attacker(self)
            attacker.start("--listen", f"127.0.0.2:{port}", env=environment())
            with PolicyFile(POLICY) as policy:
                report = tool_json(self, "apply", "--pid", str(proc.pid), "--policy", policy.path)
            row = next(s for s in report["sockets"] if s["fd"] == fd)
            self.assertEqual((row["direction"], row["action"], row.get("changes", [])), ("outbound", "skip", []), row)
            self.assertEqual(remote_values(proc.pid, fd)["ka"], 0, "apply changed a socket its rule skips")

    def test_a_guessed_direction_changes_nothing_the_rules_decide_differently(self):
        # An accepted connection on a fixed port whose listener has closed: inbound only by its ports.
        program = ("import socket, sys\n"
                   "srv = socket.create_server(('127.0.0.1', 0)); port = srv.getsockname()[1]\n"
                   "for p in range(20000, 30000):\n"
                   "    try:\n"
                   "        s = socket.create_server(('127.0.0.1', p)); srv.close(); srv = s; port = p; break\n"
                   "    except OSError: pass\n"
                   "c = socket.create_connection(('127.0.0.1', port))\n"
                   "a = srv.accept()[0]\n"
                   "srv.close(); c.close()\n"
                   "print('ready', port, a.fileno(), flush=True)\n"
                   "sys.stdin.read()\n")
        proc = subprocess.Popen(["/usr/bin/python3", "-c", program], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=environment())
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        _, _, fd = proc.stdout.readline().split()
        fd = int(fd)
        with PolicyFile(POLICY) as policy:
            report = tool_json(self, "apply", "--pid", str(proc.pid), "--policy", policy.path)
            text = subprocess.run([TOOL, "apply", "--dry-run", "--pid", str(proc.pid), "--policy", policy.path], capture_output=True,
                                  text=True, timeout=60).stdout
        row = next(s for s in report["sockets"] if s["fd"] == fd)
        self.assertEqual((row["direction"], row["direction_source"], row["direction_ambiguous"], row.get("changes", [])),
                         ("inbound", "inferred", True, []), row)
        self.assertEqual(remote_values(proc.pid, fd)["ka"], 0)
        self.assertIn(f"the direction of fd {fd} is only inferred from its ports", text)


if __name__ == "__main__":
    main()
