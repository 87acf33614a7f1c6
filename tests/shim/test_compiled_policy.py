"""`tcpkeep check --compile` writes FILE.compiled; the shim then loads it instead of parsing the
TOML, as long as the TOML text is the one it was made from, wherever the two files are copied. A
stale or damaged compiled form is ignored silently: the policy file stays the one source of truth."""
import os
import re
import shutil
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

    def run_probe(self, policy=None):
        """sockprobe under the shim: (socket values, how the shim says it loaded the policy)."""
        policy = policy or self.policy
        out = subprocess.run([SOCKPROBE, "socket", "inet", "stream", "connect", "127.0.0.1", str(self.listener.port), "show"],
                             env=shim_env(policy, log="info"), capture_output=True, text=True, check=True, timeout=30)
        loaded = re.fullmatch(r"tcpkeep\[\d+\]: (policy .*)\n", out.stderr)
        self.assertIsNotNone(loaded, out.stderr)
        return parse_values(out.stdout.splitlines()[-1]), loaded.group(1)

    def compile(self, policy=None):
        out = subprocess.run([TOOL, "check", "--compile", policy or self.policy], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def test_compile_then_the_shim_loads_the_compiled_form(self):
        self.write_policy(31)
        self.assertIn(f"wrote {self.compiled}", self.compile().stdout)
        values, loaded = self.run_probe()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 31})
        self.assertEqual(loaded, f"policy {self.policy} (compiled form): 0 active rules")

    def test_stale_compiled_form_is_ignored(self):
        self.write_policy(31)
        self.compile()
        self.write_policy(42)  # edited after compiling: same size, new contents
        values, loaded = self.run_probe()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 42})
        self.assertEqual(loaded, f"policy {self.policy}: 0 active rules")

    def test_the_compiled_form_travels_with_its_text(self):
        """Copied elsewhere (new inode, new times: an image layer, a Kubernetes volume), the pair stays
        valid and the copy names where it was loaded from; a text that differs in one byte does not."""
        self.write_policy(31)
        self.compile()
        with tempfile.TemporaryDirectory() as elsewhere:
            copy = os.path.join(elsewhere, "copied.toml")
            shutil.copyfile(self.policy, copy)
            shutil.copyfile(self.compiled, copy + ".compiled")
            values, loaded = self.run_probe(copy)
            self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 31})
            self.assertEqual(loaded, f"policy {copy} (compiled form): 0 active rules")
            with open(copy, "a") as f:
                f.write("#")  # a comment: the same policy, another text
            _, loaded = self.run_probe(copy)
            self.assertEqual(loaded, f"policy {copy}: 0 active rules")

    def test_damaged_compiled_form_is_ignored(self):
        self.write_policy(31)
        subprocess.run([TOOL, "check", "--compile", self.policy], capture_output=True, check=True)
        with open(self.compiled, "r+b") as f:
            f.seek(40)
            f.write(b"\xff\xff")
        values, loaded = self.run_probe()
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 31})
        self.assertEqual(loaded, f"policy {self.policy}: 0 active rules")

    def check(self, policy=None):
        out = subprocess.run([TOOL, "check", policy or self.policy], capture_output=True, text=True)
        self.assertEqual((out.returncode, out.stderr), (0, ""))
        return out.stdout.splitlines()[1:]  # after the "valid" line

    def test_check_says_whether_the_shim_will_use_the_compiled_form(self):
        self.write_policy(31)
        self.assertEqual(self.check(), [])  # a small policy needs none
        self.compile()
        self.assertEqual(self.check(), [f"{self.compiled}: current: the shim loads it instead of parsing {self.policy}"])
        self.write_policy(42)
        self.assertEqual(self.check(), [f"{self.compiled}: stale or damaged: the shim ignores it and parses {self.policy}; "
                                        f"`tcpkeep check --compile {self.policy}` renews it"])
        large = os.path.join(self.dir.name, "large.toml")
        with open(large, "w") as f:
            f.write("version = 1\n" + "".join(f'[[rule]]\nports = [{1000 + i % 60000}]\nidle = "30s"\n' for i in range(5000)))
        self.assertEqual(self.check(large), [f"note: every process parses these 5000 rules at its first TCP connection; "
                                             f"`tcpkeep check --compile {large}` writes a compiled form that loads in about half the time"])

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
