"""CLI conventions shared by the tool's commands: --help on stdout with exit 0, usage errors exit 2."""
import unittest

from tooltest import main, tool


class Cli(unittest.TestCase):
    def test_help(self):
        for command in ("run", "verify", "apply", "env"):
            with self.subTest(command=command):
                r = tool(command, "--help")
                self.assertEqual(r.returncode, 0)
                self.assertIn(f"Usage: tcpkeep {command} [OPTIONS]", r.stdout)

    def test_unknown_option(self):
        for command in ("verify", "apply", "env"):
            with self.subTest(command=command):
                r = tool(command, "--bogus")
                self.assertEqual((r.returncode, r.stdout), (2, ""))
                self.assertIn("--bogus", r.stderr)


if __name__ == "__main__":
    main()
