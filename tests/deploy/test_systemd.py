"""examples/systemd/tcpkeep.conf: its Environment= lines, with the package's paths moved to the
staged install tree, are exactly what a program needs (the test starts one with that environment
and nothing else, as systemd would, and verifies its sockets); `tcpkeep env --format systemd`
prints the same drop-in. examples/systemd/tcpkeep-attach.conf (cgroup mode) runs the package's
tool with options it has; tests/engines runs it under a real systemd."""
import os
import subprocess
import unittest

from deploytest import (DEFAULT_VALUES, EXAMPLES, HOLD, INSTALL, PACKAGE, STAGED, Program, assert_holds, clean_env,
                        options_in_help, substitute)

DROP_IN = os.path.join(EXAMPLES, "systemd", "tcpkeep.conf")
ATTACH_DROP_IN = os.path.join(EXAMPLES, "systemd", "tcpkeep-attach.conf")


def directives(text):
    """The drop-in without comments and blank lines."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]


def environment(lines):
    """The variables of `Environment=NAME=VALUE` lines (the plain form; quoting is not used here)."""
    env = {}
    for line in lines:
        if line.startswith("Environment="):
            name, value = line[len("Environment="):].split("=", 1)
            assert '"' not in value and "'" not in value and " " not in value and "%" not in value, line
            env[name] = value
    return env


def example():
    with open(DROP_IN) as f:
        return f.read()


class Systemd(unittest.TestCase):
    def test_drop_in_names_the_package_paths(self):
        self.assertEqual(directives(example()), ["[Service]", f"Environment=LD_PRELOAD={PACKAGE.shim}",
                                                 f"Environment=TCPKEEP_POLICY={PACKAGE.policy}"])

    def test_program_started_with_exactly_that_environment(self):
        env = environment(directives(substitute(example(), PACKAGE, STAGED)))
        self.assertEqual(env, {"LD_PRELOAD": STAGED.shim, "TCPKEEP_POLICY": STAGED.policy})
        with Program([HOLD, "4"], env=env, cwd="/") as p:
            assert_holds(self, p, DEFAULT_VALUES, shim=STAGED.shim, policy=STAGED.policy, tool=STAGED.tool)
            self.assertEqual(p.stderr(), "")

    def test_tcpkeep_env_prints_the_same_drop_in(self):
        # With the staged policy: the example with every path moved to the staged tree.
        r = subprocess.run([STAGED.tool, "env", "--format", "systemd", "--policy", STAGED.policy],
                           capture_output=True, text=True, env=clean_env(), cwd="/")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(directives(r.stdout), directives(substitute(example(), PACKAGE, STAGED)))
        # Without --policy: the system policy this tcpkeep was built for, as in the example.
        r = subprocess.run([STAGED.tool, "env"], capture_output=True, text=True, env=clean_env(), cwd="/")
        self.assertEqual(r.returncode, 0, r.stderr)
        expected = example().replace(PACKAGE.shim, STAGED.shim).replace(PACKAGE.policy, INSTALL.policy)
        self.assertEqual(directives(r.stdout), directives(expected))


class AttachDropIn(unittest.TestCase):
    """The cgroup-mode drop-in: attach before the program starts, detach after it stopped, both as
    root whatever the unit's sandboxing ("+"), neither able to stop the unit ("-"); the unit named
    by %n, its full name."""

    def test_commands_are_the_package_tool_on_the_unit(self):
        with open(ATTACH_DROP_IN) as f:
            lines = directives(f.read())
        self.assertEqual(lines, ["[Service]", f"ExecStartPre=-+{PACKAGE.tool} attach --unit %n",
                                 f"ExecStopPost=-+{PACKAGE.tool} detach --unit %n"])
        for line in lines[1:]:
            subcommand = line.split("=", 1)[1].lstrip("-+").split()[1]
            self.assertIn("--unit", options_in_help(subcommand), line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
