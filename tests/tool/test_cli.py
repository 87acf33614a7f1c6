"""CLI conventions shared by the tool's commands: --help on stdout with exit 0, usage errors exit 2."""
import unittest

from tooltest import main, tool


class Cli(unittest.TestCase):
    def test_help(self):
        for command in ("run", "verify", "audit", "apply", "env"):
            with self.subTest(command=command):
                r = tool(command, "--help")
                self.assertEqual(r.returncode, 0)
                self.assertIn(f"Usage: tcpkeep {command} [OPTIONS]", r.stdout)

    def test_unknown_option(self):
        for command in ("verify", "audit", "apply", "env"):
            with self.subTest(command=command):
                r = tool(command, "--bogus")
                self.assertEqual((r.returncode, r.stdout), (2, ""))
                self.assertIn("--bogus", r.stderr)


    def test_audit_usage_errors(self):
        cases = {("--user", "nosuchuser-tcpkeep"): 'tcpkeep: --user: no user "nosuchuser-tcpkeep"\n',
                 ("--worse-than", "5"): 'tcpkeep: --worse-than: "5" has no unit; write "5s" (units: ms, s, min, h)\n',
                 ("--netns", "/nonexistent"): "tcpkeep: --netns /nonexistent: No such file or directory\n",
                 ("--container", "999999999"): "tcpkeep: process 999999999: no such process\n"}
        for args, message in cases.items():
            with self.subTest(args=args):
                threshold = () if "--worse-than" in args else ("--worse-than", "5min")
                r = tool("audit", *threshold, *args)
                self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", message))


if __name__ == "__main__":
    main()
