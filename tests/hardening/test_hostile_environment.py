"""The shim's environment variables hold garbage: the program still runs, exactly as it would, and
the shim says what is wrong once (TCPKEEP_LOG, TCPKEEP_LOG_FILE, TCPKEEP_POLICY)."""
import os
import subprocess
import tempfile
import unittest

from bad_policy import assert_untouched_program, probe_under_bad_policy
from tcpkeep_test import EMBEDDED_DEFAULT, SOCKPROBE, Listener, main, parse_values, run_probe, shim_env

PATH_MAX = 4096


def connect_show(port):
    return ["socket", "inet", "stream", "connect", "127.0.0.1", port, "show"]


class LogLevel(unittest.TestCase):
    def assert_default_level_used(self, value, shown):
        with Listener() as l:
            r = subprocess.run([SOCKPROBE, *map(str, connect_show(l.port))], env=shim_env(log=value), capture_output=True,
                               timeout=20, text=True, errors="backslashreplace")
        self.assertEqual(parse_values(r.stdout.splitlines()[-1]), EMBEDDED_DEFAULT)
        stderr = r.stderr
        self.assertRegex(stderr, r'^tcpkeep\[\d+\]: unknown TCPKEEP_LOG value "' + shown +
                         r'" \(use off, error, warn, info or debug\); using warn\n$')

    def test_case_matters(self):
        self.assert_default_level_used("DEBUG", "DEBUG")

    def test_not_utf8(self):
        self.assert_default_level_used("de\udcffbug", r"de\\xffbug")  # the byte 0xff, shown as it is

    def test_longer_than_any_level_is_not_truncated_into_one(self):
        # "debug" followed by 100 more characters must not become "debug".
        self.assert_default_level_used("debug" + "x" * 100, "")


class LogFile(unittest.TestCase):
    def assert_falls_back_to_stderr(self, log_file, why):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE=log_file, timeout=10)
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)
        self.assertRegex(stderr, rf"^tcpkeep\[(\d+)\]: cannot write TCPKEEP_LOG_FILE={log_file}: {why}; logging to stderr\n"
                                 r"tcpkeep\[\1\]: policy <embedded default>: 0 active rules\n$")

    def test_fifo_without_reader_does_not_block(self):
        # Opening a FIFO for writing waits for a reader; the shim must never make the program wait.
        with tempfile.TemporaryDirectory() as d:
            fifo = os.path.join(d, "fifo.log")
            os.mkfifo(fifo)
            self.assert_falls_back_to_stderr(fifo, "it is not a regular file")

    def test_full_device(self):
        self.assert_falls_back_to_stderr("/dev/full", "its name must end in .log")

    def test_directory(self):
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, "dir.log"))
            self.assert_falls_back_to_stderr(os.path.join(d, "dir.log"), "it is not a regular file")

    def test_longer_than_any_path_logs_to_stderr(self):
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE="/tmp/" + "a" * PATH_MAX)
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)
        self.assertRegex(stderr, r"^tcpkeep\[\d+\]: policy <embedded default>: 0 active rules\n$")


class PolicyVariable(unittest.TestCase):
    def test_longer_than_any_path_fails_open(self):
        # Not the embedded default as if the variable were unset: the policy named cannot be read.
        pid, lines, stderr = probe_under_bad_policy("/" + "p" * PATH_MAX)
        assert_untouched_program(self, lines)
        self.assertEqual(stderr, f"tcpkeep[{pid}]: TCPKEEP_POLICY is longer than any path ({PATH_MAX - 1} bytes at most); "
                                 "sockets left unchanged\n")


if __name__ == "__main__":
    main()
