"""Issue 25, attack 6: a user forges lines of root's report.

A process's LD_PRELOAD, comm, executable path and the paths it names were printed raw in the text
output of `verify` and `audit`: a newline and a terminal escape put a forged row
(`root ... ok /usr/sbin/sshd`) and a title change into root's report. Now everything a target chose
is printed escaped (\\n, \\x1b), and JSON carries it as data."""
from hostile import Attacker, environment, main, tool, tool_json, unittest

FORGED_ROW = "\n  4242 root ok /usr/sbin/sshd"
TITLE = "\x1b]0;pwned\x07"


class ForgedOutput(unittest.TestCase):
    def test_preload_and_comm_with_control_characters(self):
        attacker = Attacker(self)
        preload = attacker.path("x" + FORGED_ROW + TITLE + "/libother.so")  # printed whole: it names no shim
        process = attacker.start("--comm", "\x1b[31mevil\n", env=environment(LD_PRELOAD=preload))
        for args in (("verify", "--pid", str(process.pid)), ("audit", "--user", "nobody")):
            out = tool(self, *args).stdout
            self.assertTrue(out, args)
            self.assertNotIn("\x1b", out, args)
            self.assertNotIn("\x07", out, args)
            self.assertNotIn("\n  4242 root", out, args)
            self.assertIn("\\n  4242 root ok /usr/sbin/sshd\\x1b]0;pwned\\x07", out, args)
        report = tool_json(self, "verify", "--pid", str(process.pid), expect=1)
        self.assertIn(FORGED_ROW + TITLE, report["shim"]["why_not"], "JSON keeps the data as it is, escaped by the encoder")

    def test_invalid_utf8_in_a_path_does_not_abort_json(self):
        attacker = Attacker(self)
        preload = attacker.path("\udcff\udcfe/libtcpkeep.so")  # bytes 0xff 0xfe: not UTF-8
        process = attacker.start(env=environment(LD_PRELOAD=preload))
        report = tool_json(self, "verify", "--pid", str(process.pid), expect=1)
        self.assertIn("\ufffd", report["shim"]["why_not"])
        self.assertIn("\\xff\\xfe", tool(self, "verify", "--pid", str(process.pid)).stdout)


if __name__ == "__main__":
    main()
