"""The architecture as the includes show it: each folder of the sources includes only the folders
below it, so config/ stays pure, the shim never reaches the tool, and in tools/ the commands sit
on top of the report, which reads the inspection model and never the other way. A new folder, or
an include against the direction, fails here with the file, the line and the rule it breaks."""
import os
import re
import shutil
import tempfile
import unittest

from tcpkeep_test import main

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BASE = {"config", "system"}
# What each folder may include besides itself: the layers below it. tools/exit_status.h is below
# every folder of tools/.
ALLOWED = {
    "config": set(),
    "system": {"config"},
    "shim": BASE,
    "bpf": set(),  # BPF C: only its own headers
    "bpf/compiler": {"config", "bpf"},  # a policy into the maps' contents (bpf/policy_abi.h); pure C++
    "tools/elf": BASE,
    "tools/policy": BASE,
    "tools/cgroup": BASE | {"bpf", "bpf/compiler", "tools/policy"},
    "tools/inspection": BASE | {"shim", "bpf", "tools/elf", "tools/policy", "tools/cgroup"},
    "tools/report": BASE | {"shim", "tools/policy", "tools/cgroup", "tools/inspection"},
    "tools/monitor": BASE | {"bpf", "tools/policy", "tools/cgroup", "tools/inspection", "tools/report"},
    "tools/launch": BASE | {"tools/policy", "tools/cgroup", "tools/inspection"},
    "tools/commands": BASE | {"bpf", "bpf/compiler", "tools/elf", "tools/policy", "tools/cgroup", "tools/inspection", "tools/report", "tools/monitor",
                              "tools/launch"},
}
BELOW_ALL_OF_TOOLS = "tools/exit_status.h"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def folder_of(path):
    """"tools/inspection" for tools/inspection/x.h, "bpf/compiler" for bpf/compiler/x.h, "shim" for
    shim/hooks/accept.cpp."""
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "tools" or parts[:2] == ["bpf", "compiler"] else parts[0]


def source_files(root, top):
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for name in files:
            if name.endswith((".h", ".cpp", ".c")):
                yield os.path.relpath(os.path.join(dirpath, name), root)


def violations(top, root=ROOT):
    found = []
    for path in source_files(root, top):
        own = folder_of(path)
        if own not in ALLOWED:
            continue  # tools/main.cpp, tools/exit_status.h: checked by test_every_folder_has_a_rule
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m or "/" not in m.group(1):
                    continue  # a neighbour in the same folder ("policy_abi.h")
                target = m.group(1)
                if target == BELOW_ALL_OF_TOOLS and own.startswith("tools/"):
                    continue
                if folder_of(target) != own and folder_of(target) not in ALLOWED[own]:
                    found.append(f"{path}:{number}: {own} includes {target}")
    return found


class IncludeDirections(unittest.TestCase):
    def test_every_folder_has_a_rule(self):
        folders = {"config", "system", "shim"} | {
            f"{top}/{d}" for top in ("tools", "bpf") for d in os.listdir(os.path.join(ROOT, top)) if os.path.isdir(os.path.join(ROOT, top, d))}
        folders |= {"bpf"}
        self.assertEqual(sorted(folders - ALLOWED.keys()), [], "a new folder needs its place in ALLOWED")
        self.assertEqual(sorted(ALLOWED.keys() - folders), [], "a folder in ALLOWED no longer exists")

    def test_includes_only_go_down(self):
        found = [v for top in ("config", "system", "shim", "bpf", "tools") for v in violations(top)]
        self.assertEqual(found, [])

    def test_the_rules_are_a_hierarchy(self):
        """No two folders may include each other: the table itself has no cycle."""
        for folder, below in ALLOWED.items():
            for other in below:
                self.assertNotIn(folder, ALLOWED.get(other, set()), f"{folder} and {other} include each other")

    def test_a_wrong_include_is_found(self):
        """The check itself: an include from the inspection room into the report is reported."""
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.makedirs(os.path.join(root, "tools", "inspection"))
        with open(os.path.join(root, "tools", "inspection", "probe.h"), "w", encoding="utf-8") as f:
            f.write('#pragma once\n#include "tools/inspection/process_report.h"\n#include "tools/report/printable.h"\n')
        self.assertEqual(violations("tools", root), ["tools/inspection/probe.h:3: tools/inspection includes tools/report/printable.h"])


if __name__ == "__main__":
    main()
