"""What the shim exposes to every process it is loaded into: the hooks and nothing else, and no
dependency beyond libc (no C++ runtime, no fmt). The engine exports its one entry table."""
import os
import re
import subprocess
import unittest

from tcpkeep_test import SANITIZER_PRELOAD, SHIM, main

HOOKS = {"socket", "connect", "listen", "accept", "accept4", "setsockopt", "sendto", "sendmsg", "close", "dup", "dup2", "dup3"}
PUBLISHED_STATE = "tcpkeep_state_v1"  # read by tcpkeep verify from outside the process
ENGINE = os.path.join(os.path.dirname(SHIM), "libtcpkeep-engine.so")


def exported(library):
    out = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def needed(library):
    out = subprocess.run(["readelf", "-d", library], capture_output=True, text=True, check=True).stdout
    found = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", out)
    # Sanitizer builds link their runtimes into everything; the release build must not need them.
    return [lib for lib in found if not (SANITIZER_PRELOAD and re.match(r"lib(a|ub|t|l)san\.so", lib))]


class LibraryShape(unittest.TestCase):
    def test_shim_exports_only_hooks_and_its_state_and_needs_only_libc(self):
        self.assertEqual(exported(SHIM), HOOKS | {PUBLISHED_STATE})
        self.assertEqual(needed(SHIM), ["libc.so.6"])

    def test_engine_exports_one_table_and_no_cxx_runtime(self):
        self.assertEqual(exported(ENGINE), {"tcpkeep_engine_v1"})
        self.assertFalse([lib for lib in needed(ENGINE) if "stdc++" in lib or "fmt" in lib or "toml" in lib])


if __name__ == "__main__":
    main()
