"""examples/container: entrypoint.sh run directly on the host (no container engine here) preloads
the shim and selects the policy for the program it execs, whose sockets are then verified; it
warns and still runs the program when a file is missing. The Dockerfile copies what exists and
uses the entrypoint where it put it. attach-container.sh (cgroup mode, from the host) refuses bad
usage, a container it cannot inspect and an unreadable policy, each with one line and exit 2 (its
attaching is tested on a real Docker daemon in tests/engines)."""
import fnmatch
import glob
import json
import os
import re
import subprocess
import unittest

from deploytest import (DEFAULT_VALUES, EXAMPLES, HOLD, PACKAGE, STAGE_PACKAGE, STAGED, Program, assert_holds,
                        clean_env, kernel_values)

CONTAINER = os.path.join(EXAMPLES, "container")
ENTRYPOINT = os.path.join(CONTAINER, "entrypoint.sh")
ATTACH = os.path.join(CONTAINER, "attach-container.sh")


def staged_env(**extra):
    return clean_env(**{"TCPKEEP_SHIM": STAGED.shim, "TCPKEEP_POLICY": STAGED.policy, **extra})


class Entrypoint(unittest.TestCase):
    def test_defaults_are_the_package_paths(self):
        with open(ENTRYPOINT) as f:
            text = f.read()
        self.assertIn(f"shim=${{TCPKEEP_SHIM:-{PACKAGE.shim}}}", text)
        self.assertIn(f"policy=${{TCPKEEP_POLICY:-{PACKAGE.policy}}}", text)

    def test_program_runs_under_the_shim(self):
        with Program([ENTRYPOINT, HOLD, "4"], env=staged_env(LD_PRELOAD="libm.so.6"), cwd="/") as p:
            # exec: the entrypoint's pid is the program's
            assert_holds(self, p, DEFAULT_VALUES, shim=STAGED.shim, policy=STAGED.policy, tool=STAGED.tool)
            env = p.environ()
            self.assertEqual((env["LD_PRELOAD"], env["TCPKEEP_POLICY"]), (f"{STAGED.shim}:libm.so.6", STAGED.policy))
            self.assertEqual(p.stderr(), "")

    def test_entrypoint_twice_preloads_once(self):
        with Program([ENTRYPOINT, ENTRYPOINT, HOLD, "6"], env=staged_env(), cwd="/") as p:
            self.assertEqual(p.environ()["LD_PRELOAD"], STAGED.shim)
            assert_holds(self, p, DEFAULT_VALUES, shim=STAGED.shim, tool=STAGED.tool)

    def test_missing_library_warns_and_runs_without(self):
        with Program([ENTRYPOINT, HOLD, "4"], env=staged_env(TCPKEEP_SHIM="/nonexistent/libtcpkeep.so"), cwd="/") as p:
            self.assertNotIn("LD_PRELOAD", p.environ())
            assert_holds(self, p, kernel_values(), shim=None, tool=STAGED.tool)
            self.assertEqual(p.stderr(), "tcpkeep-entrypoint: warning: /nonexistent/libtcpkeep.so is missing; running without tcpkeep\n")

    def test_missing_policy_warns(self):
        with Program([ENTRYPOINT, HOLD, "4"], env=staged_env(TCPKEEP_POLICY="/nonexistent/policy.toml"), cwd="/") as p:
            self.assertEqual(p.stderr().splitlines()[0],
                             "tcpkeep-entrypoint: warning: policy /nonexistent/policy.toml is missing; the shim will change nothing")


def instructions():
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    with open(os.path.join(CONTAINER, "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    return [tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.startswith("#")]


class Dockerfile(unittest.TestCase):
    def test_copies_what_exists_and_runs_the_entrypoint(self):
        steps = instructions()
        copies = {dst: src for op, args in steps if op == "COPY" for src, dst in [args.split()]}
        deb = os.path.basename(glob.glob(os.path.join(STAGE_PACKAGE, "*.deb"))[0])
        self.assertTrue(fnmatch.fnmatch(deb, copies["/tmp/tcpkeep.deb"]), (deb, copies))
        self.assertEqual(copies["/usr/local/bin/tcpkeep-entrypoint"], "entrypoint.sh")
        self.assertTrue(os.path.isfile(os.path.join(CONTAINER, "entrypoint.sh")))
        self.assertEqual(json.loads(dict(steps)["ENTRYPOINT"]), ["/usr/local/bin/tcpkeep-entrypoint"])
        run = dict(steps)["RUN"]
        self.assertIn("apt-get install -y --no-install-recommends /tmp/tcpkeep.deb", run)


class AttachContainer(unittest.TestCase):
    def attach(self, *args, **env):
        r = subprocess.run([ATTACH, *args], capture_output=True, text=True, env=clean_env(**env), cwd="/", timeout=30)
        self.assertEqual((r.returncode, r.stdout), (2, ""), r.stderr)
        return r.stderr

    def test_usage_errors(self):
        usage = "usage: attach-container.sh [--policy FILE] CONTAINER | attach-container.sh --detach CONTAINER\n"
        for args in ((), ("a", "b"), ("--policy",), ("--bogus", "a")):
            with self.subTest(args=args):
                self.assertEqual(self.attach(*args), usage)
        self.assertEqual(self.attach("--detach", "--policy", STAGED.policy, "app"),
                         "attach-container.sh: --policy is for attaching, not with --detach\n")

    def test_unreadable_policy_and_failed_inspect(self):
        self.assertEqual(self.attach("--policy", "/nonexistent/policy.toml", "app"),
                         "attach-container.sh: policy /nonexistent/policy.toml: not readable on this host\n")
        # DOCKER names the engine's client: one that fails, as docker does for an unknown container.
        self.assertEqual(self.attach("app", DOCKER="false"),
                         "attach-container.sh: false inspect app failed (no such container?)\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
