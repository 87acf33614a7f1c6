"""The .deb (stage.py, cpack): its control fields, the conffile (dpkg installs the default and
keeps an administrator's policy), contents identical to the install tree, and — unpacked into a scratch root with dpkg-deb -x — a tcpkeep that runs a program
under the shim beside it and verifies it, with no trace of the build tree."""
import filecmp
import glob
import os
import re
import subprocess
import tempfile
import unittest

from deploytest import EXAMPLES, INSTALL, STAGE_PACKAGE, STAGE_ROOT, STAGED, check_run_and_verify
from tcpkeep_test import require_root


def the_package():
    found = glob.glob(os.path.join(STAGE_PACKAGE, "*.deb"))
    if len(found) != 1:
        raise AssertionError(f"expected one .deb in {STAGE_PACKAGE}, found {found}")
    return found[0]


def dpkg_deb(*args):
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def tree_files(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names)


class Package(unittest.TestCase):
    def test_control(self):
        deb = the_package()
        version = dpkg_deb("--field", deb, "Version").strip()
        arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(os.path.basename(deb), f"tcpkeep_{version}_{arch}.deb")
        self.assertEqual(dpkg_deb("--field", deb, "Package").strip(), "tcpkeep")
        # The tool needs the C++ runtime (and libbpf, built with cgroup mode); the shim only libc; the
        # engine has its runtime inside.
        needed = subprocess.run(["readelf", "-d", STAGED.tool], capture_output=True, text=True, check=True).stdout
        expected = ["libc6", "libgcc-s1", "libstdc++6"] + (["libbpf1"] if "libbpf.so" in needed else [])
        depends = dpkg_deb("--field", deb, "Depends").strip()
        self.assertEqual(sorted(re.sub(r"\s*\(.*\)", "", d).strip() for d in depends.split(",")), sorted(expected))

    def test_policy_is_a_conffile(self):
        with tempfile.TemporaryDirectory() as control:
            subprocess.run(["dpkg-deb", "--control", the_package(), control], check=True)
            with open(os.path.join(control, "conffiles")) as f:
                self.assertEqual(f.read(), INSTALL.policy + "\n")

    def test_no_maintainer_scripts(self):
        members = subprocess.run(f"dpkg-deb --ctrl-tarfile '{the_package()}' | tar -t", shell=True,
                                 capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(sorted(members), ["./conffiles", "./control", "./md5sums"])

    def test_dpkg_installs_the_default_and_keeps_the_administrators_policy(self):
        require_root(self)  # dpkg --root sets owners
        def install(root, *options):
            for d in ("updates", "info"):
                os.makedirs(os.path.join(root, "var/lib/dpkg", d), exist_ok=True)
            open(os.path.join(root, "var/lib/dpkg/status"), "a").close()
            return subprocess.run(["dpkg", f"--root={root}", "--force-depends", *options, "-i", the_package()],
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True)
        with open(os.path.join(EXAMPLES, "policies", "default.toml")) as f:
            default = f.read()
        with tempfile.TemporaryDirectory() as root:
            r = install(root)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(root + INSTALL.policy) as f:
                self.assertEqual(f.read(), default)
        with tempfile.TemporaryDirectory() as root:
            mine = "version = 1\n# the administrator's own\n"
            os.makedirs(os.path.dirname(root + INSTALL.policy))
            with open(root + INSTALL.policy, "w") as f:
                f.write(mine)
            r = install(root, "--force-confold")  # what configuration management passes
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(root + INSTALL.policy) as f:
                self.assertEqual(f.read(), mine)
            with open(root + INSTALL.policy + ".dpkg-dist") as f:
                self.assertEqual(f.read(), default)

    def test_contents_are_the_install_tree(self):
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg-deb", "-x", the_package(), root], check=True)
            self.assertEqual(tree_files(root), tree_files(STAGE_ROOT))
            for name in tree_files(root):
                self.assertTrue(filecmp.cmp(os.path.join(root, name), os.path.join(STAGE_ROOT, name), shallow=False), name)

    def test_unpacked_package_runs_and_verifies(self):
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg-deb", "-x", the_package(), root], check=True)
            check_run_and_verify(self, INSTALL.under(root))


if __name__ == "__main__":
    unittest.main(verbosity=2)
