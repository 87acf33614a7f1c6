"""Leaks: every tool command frees what it allocates (LeakSanitizer: preloaded into the normal
build, built into the AddressSanitizer one; valgrind cannot follow the tool's pidfd_getfd calls), and
the shim allocates a fixed amount once: under valgrind's memcheck it adds the same heap blocks and
bytes to a program after 100 connections as after 800, and loses none of them."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from tcpkeep_test import KERNEL_DEFAULTS, SANITIZER_PRELOAD, TOOL, main, shim_env

FIXTURES = os.environ.get("TCPKEEP_FIXTURES", "")
CONNECT_STORM = os.environ.get("TCPKEEP_CONNECT_STORM", "")
LEAK_EXIT = 97  # what the checkers exit with when they find a leak; no tool command exits so
POLICY = """version = 1
[[rule]]
keepalive = true
idle = "31s"
interval = "11s"
count = 4
user_timeout = "auto"
"""
STORM_VALUES = "1 31 11 4 75000"  # what connect_storm reads back on both ends under POLICY
KERNEL_VALUES = " ".join(map(str, KERNEL_DEFAULTS.values()))  # ... and without the shim


def tool_leak_checker(test):
    """The environment that makes the tool check its own leaks at exit."""
    if "libasan" in SANITIZER_PRELOAD:
        return {"ASAN_OPTIONS": f"detect_leaks=1:exitcode={LEAK_EXIT}:verify_asan_link_order=0"}
    if SANITIZER_PRELOAD:
        test.skipTest("LeakSanitizer cannot share a process with this sanitizer; the normal and ASan builds check")
    runtime = subprocess.run(["gcc", "-print-file-name=liblsan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(runtime):
        test.fail("liblsan.so is missing (gcc's liblsan0, installed with build-essential)")
    return {"LD_PRELOAD": runtime, "LSAN_OPTIONS": f"exitcode={LEAK_EXIT}"}


class ToolLeaks(unittest.TestCase):
    def setUp(self):
        self.checker = tool_leak_checker(self)
        self.dir = tempfile.TemporaryDirectory()
        self.policy = os.path.join(self.dir.name, "policy.toml")
        with open(self.policy, "w") as f:
            f.write(POLICY)

    def tearDown(self):
        self.dir.cleanup()

    def tool(self, *args, expect):
        r = subprocess.run([TOOL, *args], env=shim_env(preload=False, **self.checker), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, expect, f"tcpkeep {' '.join(args)}:\n{r.stderr}")
        self.assertNotIn("LeakSanitizer", r.stderr)
        return r

    def test_check_valid_invalid_and_compiled(self):
        self.tool("check", self.policy, expect=0)
        self.tool("check", os.path.join(FIXTURES, "syntax_unterminated_string.toml"), expect=1)
        self.tool("check", os.path.join(FIXTURES, "encoding_binary_garbage.toml"), expect=1)
        self.tool("check", os.path.join(self.dir.name, "missing.toml"), expect=2)
        self.tool("check", "--compile", self.policy, expect=0)
        self.assertTrue(os.path.exists(self.policy + ".compiled"))

    def test_explain_text_and_json(self):
        r = self.tool("explain", "--policy", self.policy, "--port", "5432", "--peer", "10.1.2.3", expect=0)
        self.assertIn("31", r.stdout)
        self.tool("explain", "--policy", self.policy, "--direction", "inbound", "--port", "22", "--json", expect=0)
        self.tool("explain", "--policy", self.policy, "--peer", "not-an-address", expect=2)

    def test_verify_and_apply_on_a_live_process(self):
        target = subprocess.Popen([sys.executable, "-c", "import socket, sys\n"
                                   "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()\n"
                                   "c = socket.create_connection(l.getsockname()); a = l.accept()[0]\n"
                                   "print('ready', flush=True); sys.stdin.read()"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(target.stdout.readline(), "ready\n")
            pid = str(target.pid)
            self.tool("verify", "--pid", pid, "--policy", self.policy, expect=1)  # no shim there: values differ
            self.tool("apply", "--pid", pid, "--policy", self.policy, "--json", expect=0)
            self.tool("verify", "--pid", pid, "--policy", self.policy, "--json", expect=1)  # values agree, still no shim
            self.tool("verify", "--pid", "999999999", expect=2)
        finally:
            target.kill()
            target.wait()
            target.stdout.close()
            target.stdin.close()

    def test_env(self):
        self.tool("env", expect=0)

    def test_cgroup_mode_commands(self):
        if os.geteuid() != 0:
            if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
                self.fail("needs root (TCPKEEP_REQUIRE_NETNS=1)")
            self.skipTest("needs root")
        with open("/proc/self/mounts") as f:
            v2 = [line.split()[1] for line in f if line.split()[2] == "cgroup2"]
        if not v2:
            self.skipTest("no cgroup v2 hierarchy")
        path = f"/tcpkeep-leaks-{os.getpid()}"
        os.mkdir(v2[0] + path)
        try:
            if "not in this build" in subprocess.run([TOOL, "attached"], capture_output=True, text=True).stderr:
                self.skipTest("this build has no cgroup mode")
            self.tool("attach", "--policy", self.policy, "--cgroup", path, expect=0)
            self.tool("attach", "--policy", self.policy, "--cgroup", path, expect=0)  # a replacement
            self.tool("attached", expect=0)
            self.tool("detach", "--cgroup", path, expect=0)
            self.tool("detach", "--cgroup", path, expect=2)
        finally:
            subprocess.run([TOOL, "detach", "--cgroup", path], capture_output=True)
            os.rmdir(v2[0] + path)


class ShimAllocation(unittest.TestCase):
    """The heap use of connect_storm (one thread, N connections) under memcheck, with and without the shim."""

    def heap(self, connections, with_shim):
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as policy:
            policy.write(POLICY)
            policy.flush()
            expected = STORM_VALUES if with_shim else KERNEL_VALUES
            r = subprocess.run(["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect,possible",
                                f"--error-exitcode={LEAK_EXIT}", CONNECT_STORM, "1", str(connections), "1", expected, expected],
                               env=shim_env(policy.name, preload=with_shim), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        usage = re.search(r"total heap usage: ([\d,]+) allocs, ([\d,]+) frees, ([\d,]+) bytes allocated", r.stderr)
        self.assertIsNotNone(usage, r.stderr)
        allocs, _, nbytes = (int(g.replace(",", "")) for g in usage.groups())
        return allocs, nbytes

    def added_by_shim(self, connections):
        (a, b), (base_a, base_b) = self.heap(connections, True), self.heap(connections, False)
        return a - base_a, b - base_b

    def test_a_fixed_amount_once_none_lost(self):
        if SANITIZER_PRELOAD:
            self.skipTest("memcheck cannot run a sanitizer build")
        if shutil.which("valgrind") is None:
            self.fail("valgrind is missing (scripts/test installs it)")
        # Counts of equal length: the engine keeps the command line, one byte longer per digit.
        few, many = self.added_by_shim(100), self.added_by_shim(800)
        self.assertGreater(few[0], 0, "the shim did not run: the engine allocates its policy")
        self.assertEqual(few, many, "the shim's heap use grows with connections")
        print(f"the shim adds {few[0]} heap blocks, {few[1]} bytes, after 100 and after 800 connections")


if __name__ == "__main__":
    main()
