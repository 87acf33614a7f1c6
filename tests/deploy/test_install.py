"""`cmake --install` (staged with DESTDIR by stage.py): the layout, stripped binaries, a system
policy that is never overwritten, and an installed tcpkeep that works on its own."""
import filecmp
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from deploytest import EXAMPLES, INSTALL, STAGED, check_run_and_verify, clean_env

BUILD_DIR = os.environ["TCPKEEP_BUILD_DIR"]
CMAKE = os.environ["TCPKEEP_CMAKE"]


def sections(path):
    out = subprocess.run(["readelf", "-S", "-W", path], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", out, re.M))


def installed_examples():
    files = set()
    for d, _, names in os.walk(os.path.join(STAGED.docdir, "examples")):
        files.update(os.path.relpath(os.path.join(d, n), os.path.join(STAGED.docdir, "examples")) for n in names)
    return files


def source_examples():
    files = set()
    for d, _, names in os.walk(EXAMPLES):
        files.update(os.path.relpath(os.path.join(d, n), EXAMPLES) for n in names)
    return files - {"CMakeLists.txt"}  # builds the legacy programs in this tree only


class Install(unittest.TestCase):
    def test_layout(self):
        for path in (STAGED.tool, STAGED.shim, STAGED.engine, STAGED.policy,
                     os.path.join(STAGED.mandir, "man1", "tcpkeep.1"), os.path.join(STAGED.mandir, "man5", "tcpkeep-policy.5")):
            with self.subTest(path=path):
                self.assertTrue(os.path.isfile(path))
        self.assertTrue(os.access(STAGED.tool, os.X_OK))
        self.assertEqual(installed_examples(), source_examples())
        for name in source_examples():
            self.assertTrue(filecmp.cmp(os.path.join(EXAMPLES, name), os.path.join(STAGED.docdir, "examples", name), shallow=False), name)
        self.assertTrue(os.access(os.path.join(STAGED.docdir, "examples", "container", "entrypoint.sh"), os.X_OK))
        self.assertTrue(filecmp.cmp(STAGED.policy, os.path.join(EXAMPLES, "policies", "default.toml"), shallow=False))

    def test_binaries_are_stripped(self):
        for path in (STAGED.tool, STAGED.shim, STAGED.engine):
            with self.subTest(path=path):
                found = sections(path)
                self.assertIn(".text", found)
                self.assertFalse({".symtab", ".debug_info"} & found)
        # The engine carries the C++ runtime: without debug info it stays small.
        self.assertLess(os.path.getsize(STAGED.engine), 2 * 1024 * 1024)

    def test_system_policy_never_overwritten(self):
        with tempfile.TemporaryDirectory() as root:
            mine = "version = 1\n# the administrator's own\n"
            policy = root + INSTALL.policy
            os.makedirs(os.path.dirname(policy))
            with open(policy, "w") as f:
                f.write(mine)
            r = subprocess.run([CMAKE, "--install", BUILD_DIR], env=dict(os.environ, DESTDIR=root), capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"Keeping: {policy} (exists)", r.stdout)
            with open(policy) as f:
                self.assertEqual(f.read(), mine)

    def test_installed_tool_finds_the_installed_shim(self):
        # Run from elsewhere, with no hint: the shim is found relative to the tool.
        r = subprocess.run([STAGED.tool, "env", "--format", "shell", "--policy", STAGED.policy],
                           capture_output=True, text=True, env=clean_env(), cwd="/")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, f"export LD_PRELOAD={STAGED.shim}\nexport TCPKEEP_POLICY={STAGED.policy}\n", ""))

    def test_tool_without_its_library_says_where_it_looked(self):
        with tempfile.TemporaryDirectory() as d:
            tool = os.path.join(d, "bin", "tcpkeep")
            os.makedirs(os.path.dirname(tool))
            shutil.copy(STAGED.tool, tool)
            r = subprocess.run([tool, "env"], capture_output=True, text=True, env=clean_env())
            self.assertEqual((r.returncode, r.stdout), (2, ""))
            installed = os.path.normpath(os.path.join(d, "bin", os.path.relpath(INSTALL.shim, INSTALL.bindir)))
            looked = re.fullmatch(r"tcpkeep: cannot find libtcpkeep.so \(looked at (.*)\); set TCPKEEP_SHIM=PATH\n", r.stderr)
            self.assertIsNotNone(looked, r.stderr)
            paths = looked.group(1).split(", ")
            self.assertEqual(paths[0], installed)  # the install layout first
            self.assertEqual(len(paths), len(set(paths)))

    def test_run_and_verify_from_the_install_tree(self):
        check_run_and_verify(self, STAGED)

    def test_shim_and_engine_belong_together(self):
        # The shim dlopens the engine from its own directory: both are installed there.
        self.assertEqual(os.path.dirname(STAGED.shim), os.path.dirname(STAGED.engine))
        self.assertEqual(sorted(os.listdir(STAGED.shim_dir)), ["libtcpkeep-engine.so", "libtcpkeep.so"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
