"""`tcpkeep check --compile` writes FILE.compiled; the shim then loads it instead of parsing the
TOML, as long as the TOML file is unchanged. A stale or damaged compiled form is ignored silently:
the policy file stays the one source of truth."""
import os
import subprocess
import tempfile
import unittest

from tcpkeep_test import KERNEL_DEFAULTS, SOCKPROBE, TOOL, Listener, main, parse_values, shim_env


def policy_text(idle):
    return f'version = 1\n[defaults]\nkeepalive = true\nidle = "{idle}s"\n'


class CompiledPolicy(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.policy = os.path.join(self.dir.name, "policy.toml")
        self.compiled = self.policy + ".compiled"
        self.listener = Listener()

    def tearDown(self):
        self.listener.close()
        self.dir.cleanup()

    def write_policy(self, idle):
        with open(self.policy, "w") as f:
            f.write(policy_text(idle))

    def run_traced(self):
        """sockprobe under the shim and strace: (socket values, files it opened)."""
        with tempfile.NamedTemporaryFile("r") as trace:
            out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace.name, SOCKPROBE, "socket", "inet", "stream",
                                  "connect", "127.0.0.1", str(self.listener.port), "show"],
                                 env=shim_env(self.policy), capture_output=True, text=True, check=True, timeout=30)
            opened = trace.read()
        self.assertEqual(out.stderr, "")
        return parse_values(out.stdout.splitlines()[-1]), opened

    def test_compile_then_the_shim_reads_only_the_compiled_form(self):
        self.write_policy(31)
        out = subprocess.run([TOOL, "check", "--compile", self.policy], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"wrote {self.compiled}", out.stdout)
        values, opened = self.run_traced()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 31})
        self.assertIn(f'"{self.compiled}"', opened)
        self.assertNotIn(f'"{self.policy}"', opened)  # the TOML was only stat()ed, never parsed

    def test_stale_compiled_form_is_ignored(self):
        self.write_policy(31)
        subprocess.run([TOOL, "check", "--compile", self.policy], capture_output=True, check=True)
        self.write_policy(42)  # edited after compiling: same size, new contents
        values, opened = self.run_traced()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 42})
        self.assertIn(f'"{self.policy}"', opened)

    def test_damaged_compiled_form_is_ignored(self):
        self.write_policy(31)
        subprocess.run([TOOL, "check", "--compile", self.policy], capture_output=True, check=True)
        with open(self.compiled, "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff")
        values, _ = self.run_traced()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 31})

    def test_nothing_written_for_an_invalid_policy_or_the_embedded_default(self):
        with open(self.policy, "w") as f:
            f.write('version = 1\n[defaults]\nidle = 30\n')
        out = subprocess.run([TOOL, "check", "--compile", self.policy], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertFalse(os.path.exists(self.compiled))
        env = {k: v for k, v in os.environ.items() if k != "TCPKEEP_POLICY"}
        out = subprocess.run([TOOL, "check", "--compile"], capture_output=True, text=True, env=env)
        self.assertEqual(out.returncode, 2)
        self.assertIn("the embedded default is built in; there is no file to compile", out.stderr)


if __name__ == "__main__":
    main()
