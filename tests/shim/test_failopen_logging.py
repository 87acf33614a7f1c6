"""Bad policy: one line, sockets untouched, the program unaffected. Logging goes only to stderr or
TCPKEEP_LOG_FILE, never stdout, and is silent by default."""
import os
import re
import tempfile
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, Listener, PolicyFile, main, parse_values, run_probe, shim_lines)


def connect_show(port):
    return ["socket", "inet", "stream", "connect", "127.0.0.1", port, "show"]


class FailOpen(unittest.TestCase):
    def test_bad_policy_one_line_and_untouched(self):
        with Listener() as l, PolicyFile('version = 1\n[defaults]\nintervall = "10s"\n') as p:
            lines, stderr = run_probe(connect_show(l.port), policy=p.path)
        self.assertEqual(lines[1], "connect rc=0 errno=0")
        self.assertEqual(parse_values(lines[-1]), KERNEL_DEFAULTS)
        self.assertEqual(len(stderr.splitlines()), 1)
        self.assertRegex(stderr.strip(), r"^tcpkeep\[\d+\]: " + re.escape(p.path) +
                         r':3:1: unknown key "intervall" in \[defaults\]; did you mean "interval"\?; sockets left unchanged$')

    def test_missing_policy_file(self):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), policy="/nonexistent/policy.toml")
        self.assertEqual(parse_values(lines[-1]), KERNEL_DEFAULTS)
        self.assertRegex(stderr, r"^tcpkeep\[\d+\]: /nonexistent/policy.toml: cannot open policy: No such file or directory; "
                                 r"sockets left unchanged\n$")

    def test_directory_as_policy(self):
        with Listener() as l, tempfile.TemporaryDirectory() as d:
            lines, stderr = run_probe(connect_show(l.port), policy=d)
        self.assertEqual(parse_values(lines[-1]), KERNEL_DEFAULTS)
        self.assertEqual(len(shim_lines(stderr)), 1)
        self.assertIn("policy is a directory", stderr)

    def test_silent_by_default_and_no_policy_read_without_tcp(self):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port))
        self.assertEqual(stderr, "")
        # A process that never makes a TCP socket never loads the policy, so even a bad one is silent.
        lines, stderr = run_probe(["socket", "inet", "dgram", "connect", "127.0.0.1", "9", "show"], policy="/nonexistent")
        self.assertEqual(stderr, "")


class Logging(unittest.TestCase):
    def test_debug_logs_each_decision_on_stderr_only(self):
        policy = 'version = 1\n[[rule]]\nname = "db"\nkeepalive = true\nidle = "30s"\n'
        with Listener() as l, PolicyFile(policy) as p:
            lines, stderr = run_probe(connect_show(l.port), policy=p.path, log="debug")
        self.assertEqual([line.split()[0] for line in lines], ["socket", "connect", "ka=1"])  # stdout: program only
        logged = shim_lines(stderr)
        self.assertEqual(len(logged), len(stderr.splitlines()))
        self.assertRegex(logged[-1], rf'fd 3 outbound 127.0.0.1 port {l.port}: rule "db": set keepalive=1 idle=30s$')

    def test_log_file(self):
        with Listener() as l, tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "shim.log")
            _, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE=log)
            with open(log) as f:
                text = f.read()
        self.assertEqual(stderr, "")
        self.assertRegex(text, r"^tcpkeep\[\d+\]: policy <embedded default>: 0 active rules\n$")

    def test_unwritable_log_file_falls_back_to_stderr(self):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE="/nonexistent/dir/log")
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)
        self.assertIn("cannot write TCPKEEP_LOG_FILE=/nonexistent/dir/log", stderr)
        self.assertIn("policy <embedded default>", stderr)

    def test_garbage_log_level(self):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), log="loud\x01")
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)
        self.assertEqual(len(shim_lines(stderr)), 1)
        self.assertIn('unknown TCPKEEP_LOG value "loud', stderr)

    def test_off_silences_even_errors(self):
        with Listener() as l:
            _, stderr = run_probe(connect_show(l.port), policy="/nonexistent", log="off")
        self.assertEqual(stderr, "")


if __name__ == "__main__":
    main()
