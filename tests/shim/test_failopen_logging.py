"""Bad policy: one line, sockets untouched, the program unaffected. Logging goes only to stderr or
TCPKEEP_LOG_FILE, never stdout, and is silent by default."""
import os
import re
import stat
import tempfile
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, Listener, PolicyFile, main, parse_values, run_probe, shim_lines)


def empty_log_file(directory, name="shim.log", content=b"", mode=0o600):
    """A log file made by this test's user, as the shim appends to: its own, empty or tcpkeep's lines."""
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(content)
    os.chmod(path, mode)
    return path


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
            log = empty_log_file(d)
            for _ in range(2):  # the second run appends to the first one's lines
                _, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE=log)
                self.assertEqual(stderr, "")
            with open(log) as f:
                text = f.read()
        self.assertRegex(text, r"^(tcpkeep\[\d+\]: policy <embedded default>: 0 active rules\n){2}$")

    def test_missing_log_file_made_by_its_user_not_by_root(self):
        with Listener() as l, tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "shim.log")
            _, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE=log)
            if os.geteuid() == 0:  # the name may be another user's choice (su without -): root only appends
                self.assertFalse(os.path.exists(log))
                self.assert_refused(stderr, log, "a process running as root does not create it: create it first "
                                                 r"\(empty, owned by root\)")
                return
            self.assertEqual(stderr, "")
            self.assertEqual(stat.S_IMODE(os.stat(log).st_mode), 0o600)
            with open(log) as f:
                self.assertRegex(f.read(), r"^tcpkeep\[\d+\]: policy <embedded default>: 0 active rules\n$")

    def assert_refused(self, stderr, log, why):
        self.assertRegex(stderr, rf"^tcpkeep\[(\d+)\]: cannot write TCPKEEP_LOG_FILE={re.escape(log)}: {why}; logging to stderr\n"
                                 r"tcpkeep\[\1\]: policy <embedded default>: 0 active rules\n$")

    def assert_log_file_refused(self, log, why, unchanged=None):
        """The program runs as ever, its lines go to stderr after one line saying why, and `unchanged`
        (default: the log file) keeps its content."""
        unchanged = unchanged or log
        before = open(unchanged, "rb").read() if os.path.isfile(unchanged) else None
        with Listener() as l:
            lines, stderr = run_probe(connect_show(l.port), log="info", TCPKEEP_LOG_FILE=log, timeout=10)
        self.assertEqual(parse_values(lines[-1]), EMBEDDED_DEFAULT)
        self.assert_refused(stderr, log, why)
        self.assertEqual(open(unchanged, "rb").read() if os.path.isfile(unchanged) else None, before)

    def test_unwritable_log_file_falls_back_to_stderr(self):
        self.assert_log_file_refused("/nonexistent/dir/shim.log", "No such file or directory")

    def test_log_file_refused(self):
        with tempfile.TemporaryDirectory() as d:
            tcpkeep_log = empty_log_file(d, "kept.log", b"tcpkeep[1]: an earlier line\n")
            cases = {
                "name not ending in .log": (empty_log_file(d, "authorized_keys"), "its name must end in .log"),
                "symbolic link": (os.path.join(d, "link.log"), "it is a symbolic link"),
                "FIFO": (os.path.join(d, "fifo.log"), "it is not a regular file"),
                "directory": (os.path.join(d, "dir.log"), "it is not a regular file"),
                "hard link": (os.path.join(d, "hard.log"), "it has other hard links"),
                "executable": (empty_log_file(d, "run.log", mode=0o700), "it is executable"),
                "someone's data": (empty_log_file(d, "data.log", b"PermitRootLogin yes\n"), "it holds something other than tcpkeep's log"),
            }
            os.symlink(tcpkeep_log, os.path.join(d, "link.log"))
            os.mkfifo(os.path.join(d, "fifo.log"))
            os.mkdir(os.path.join(d, "dir.log"))
            os.link(empty_log_file(d, "first.log"), os.path.join(d, "hard.log"))
            for name, (log, why) in cases.items():
                with self.subTest(name):
                    self.assert_log_file_refused(log, why, unchanged=tcpkeep_log if name == "symbolic link" else None)
            os.chmod(d, 0o1777)  # like /tmp: anyone may plant the name first
            with self.subTest("directory others may write"):
                self.assert_log_file_refused(tcpkeep_log, "its directory is writable by other users")

    def test_log_lines_escaped(self):
        # Whatever the environment or a file holds reaches the log as one line of printable text.
        # A newline, an OSC title change, BEL, DEL, a lone byte 0x9b (CSI in 8-bit terminals), a backslash,
        # é (printable UTF-8, kept) and U+009B (a C1 control, in UTF-8).
        policy = b"/nonexistent/a\nb\x1b]0;title\x07\x7f\x9b\\\xc3\xa9\xc2\x9b"
        with Listener() as l:
            _, stderr = run_probe(connect_show(l.port), policy=policy)
        self.assertEqual(stderr.count("\n"), 1, stderr)
        self.assertIn(r"/nonexistent/a\x0ab\x1b]0;title\x07\x7f\x9b\é\xc2\x9b: cannot open policy", stderr)

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
