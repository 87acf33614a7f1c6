"""The shim inside other runtimes: Node, Java, and a C++ program with its own libstdc++ and fmt;
plus initialisation: a hook called from another library's constructor, and threads racing to
make the first TCP decision."""
import os
import subprocess
import tempfile
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, TCP_ESTABLISHED, HoldingServer, Listener, main, preload_with,
                          require_no_thread_sanitizer, require_root, shim_env, values_of_running)

EARLY = os.environ.get("TCPKEEP_EARLY_CONNECT", "")
CXX_CLIENT = os.environ.get("TCPKEEP_CXX_CLIENT", "")
SHOW = "ka={} idle={} interval={} count={} user_timeout={}"


class Runtimes(unittest.TestCase):
    def run_client(self, argv, **kwargs):
        out = subprocess.run(argv, env=shim_env(), capture_output=True, text=True, timeout=60, **kwargs)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("tcpkeep[", out.stderr)
        return out.stdout

    def test_node_client(self):
        require_root(self)  # values read from outside with pidfd_getfd
        js = "const s = require('net').connect(+process.argv[1], '127.0.0.1'); setTimeout(() => s.destroy(), 30000);"
        with HoldingServer() as server:
            values = values_of_running(["node", "-e", js, str(server.port)], TCP_ESTABLISHED, server.port)
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_java_client(self):
        require_no_thread_sanitizer("java")
        java = ("import java.net.*;\n"
                "public class Client { public static void main(String[] a) throws Exception {\n"
                "  try (Socket s = new Socket(\"127.0.0.1\", Integer.parseInt(a[0]))) {\n"
                "    System.out.println(\"keepalive=\" + s.getKeepAlive()); } } }\n")
        with Listener() as l, tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "Client.java")
            with open(path, "w") as f:
                f.write(java)
            out = self.run_client(["java", path, str(l.port)])
        self.assertEqual(out, "keepalive=true\n")  # Java reads SO_KEEPALIVE back from the kernel

    def test_java_client_all_values(self):
        require_no_thread_sanitizer("java")
        require_root(self)
        java = ("public class Hold { public static void main(String[] a) throws Exception {\n"
                "  try (java.net.Socket s = new java.net.Socket(\"127.0.0.1\", Integer.parseInt(a[0]))) { Thread.sleep(30000); } } }\n")
        with HoldingServer() as server, tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "Hold.java")
            with open(path, "w") as f:
                f.write(java)
            values = values_of_running(["java", path, str(server.port)], TCP_ESTABLISHED, server.port)
        self.assertEqual(values, EMBEDDED_DEFAULT)

    def test_cxx_program_with_its_own_libstdcxx_and_fmt(self):
        with Listener() as l:
            out = self.run_client([CXX_CLIENT, str(l.port)])
        self.assertEqual(out, SHOW.format(*EMBEDDED_DEFAULT.values()) + "\ncaught below: exceptions still work under the shim\n")


class Initialisation(unittest.TestCase):
    def test_connect_from_another_library_constructor_either_order(self):
        with Listener() as l:
            for order in (f"{EARLY}:{os.environ['TCPKEEP_SHIM']}", f"{os.environ['TCPKEEP_SHIM']}:{EARLY}"):
                with self.subTest(order):
                    env = shim_env(TCPKEEP_EARLY_PORT=str(l.port))
                    env["LD_PRELOAD"] = preload_with(order)
                    out = subprocess.run(["true"], env=env, capture_output=True, text=True, timeout=30)
                    self.assertEqual(out.stderr, "early connect=0 ka=1 idle=60\n")

    def test_threads_racing_for_the_first_decision(self):
        code = ("import socket, sys, threading\n"
                "port = int(sys.argv[1]); barrier = threading.Barrier(32); results = []\n"
                "def go():\n"
                "    s = socket.socket(); barrier.wait(); s.connect(('127.0.0.1', port))\n"
                "    results.append((s.getsockopt(1, 9), s.getsockopt(6, 4), s.getsockopt(6, 18)))\n"
                "threads = [threading.Thread(target=go) for _ in range(32)]\n"
                "[t.start() for t in threads]; [t.join() for t in threads]\n"
                "print(len(results), sorted(set(results)))\n")
        with Listener() as l:
            out = subprocess.run(["python3", "-c", code, str(l.port)], env=shim_env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout.strip(), "32 [(1, 60, 120000)]")
        self.assertEqual(out.stderr, "")


if __name__ == "__main__":
    main()
