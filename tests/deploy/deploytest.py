"""Shared by the deploy tests: the install layout compiled into this build, the Debian-package
layout examples/ is written for, the tree and package stage.py made, and the one check they all
end with: a program started the documented way holds the policy's values, as `tcpkeep verify
--json` reports them and as pidfd_getfd reads them back independently.

ctest passes: TCPKEEP_SOURCE_DIR, TCPKEEP_TOOL (build tree), TCPKEEP_HOLD (tests/tool's tcp_hold),
TCPKEEP_STAGE_ROOT, TCPKEEP_STAGE_PACKAGE, TCPKEEP_LAYOUT_{BINDIR,SHIM_DIR,POLICY,MANDIR,DOCDIR}
(this build's GNUInstallDirs paths) and TCPKEEP_MULTIARCH."""
import json
import os
import re
import subprocess
import tempfile

from tcpkeep_test import EMBEDDED_DEFAULT, KERNEL_DEFAULTS, OPTIONS, remote_values

SOURCE = os.environ["TCPKEEP_SOURCE_DIR"]
EXAMPLES = os.path.join(SOURCE, "examples")
BUILD_TOOL = os.environ["TCPKEEP_TOOL"]
HOLD = os.environ["TCPKEEP_HOLD"]
STAGE_ROOT = os.environ["TCPKEEP_STAGE_ROOT"]
STAGE_PACKAGE = os.environ["TCPKEEP_STAGE_PACKAGE"]

FIELDS = ["keepalive", "idle_s", "interval_s", "count", "user_timeout_ms"]
DEFAULT_VALUES = [EMBEDDED_DEFAULT[key] for key, _, _ in OPTIONS]  # examples/policies/default.toml


class Layout:
    """The absolute paths of one installation."""

    def __init__(self, bindir, shim_dir, policy, mandir, docdir):
        self.bindir, self.shim_dir, self.policy, self.mandir, self.docdir = bindir, shim_dir, policy, mandir, docdir
        self.tool = os.path.join(bindir, "tcpkeep")
        self.shim = os.path.join(shim_dir, "libtcpkeep.so")
        self.engine = os.path.join(shim_dir, "libtcpkeep-engine.so")

    def under(self, root):
        """The same installation unpacked below `root` (DESTDIR, dpkg-deb -x)."""
        return Layout(*(root + p for p in (self.bindir, self.shim_dir, self.policy, self.mandir, self.docdir)))


def _layout_from_env():
    return Layout(*(os.environ[f"TCPKEEP_LAYOUT_{k}"] for k in ("BINDIR", "SHIM_DIR", "POLICY", "MANDIR", "DOCDIR")))


INSTALL = _layout_from_env()
# examples/ name the Debian package's paths: a build configured with -DCMAKE_INSTALL_PREFIX=/usr,
# where GNUInstallDirs makes <libdir> lib/<multiarch> and <sysconfdir> /etc.
PACKAGE = Layout("/usr/bin", f"/usr/lib/{os.environ['TCPKEEP_MULTIARCH']}/tcpkeep", "/etc/tcpkeep/policy.toml",
                 "/usr/share/man", "/usr/share/doc/tcpkeep")
STAGED = INSTALL.under(STAGE_ROOT)


def substitute(text, source, target):
    """`text` with the shim directory and policy path of one layout replaced by another's."""
    return text.replace(source.shim_dir + "/", target.shim_dir + "/").replace(source.policy, target.policy)


def clean_env(**extra):
    """This environment without anything that selects a shim or policy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TCPKEEP_") and k != "LD_PRELOAD"}
    env.update(extra)
    return env


class Program:
    """A program that prints "ready PORT" once its sockets exist (tcp_hold), killed on exit.
    Its stderr goes to a file: `stderr()` reads it."""

    def __init__(self, argv, env, cwd=None):
        self._err = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True)
        self.pid = self.proc.pid
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.close()
            raise AssertionError(f"{argv} did not start: {line}; stderr: {self.stderr()}")

    def stderr(self):
        self._err.seek(0)
        return self._err.read()

    def environ(self):
        """Its environment as the kernel holds it (after every exec)."""
        with open(f"/proc/{self.pid}/environ", "rb") as f:
            return dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if e)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        self._err.close()


def verify(test, pid, tool=BUILD_TOOL, expect=0, env=None):
    """`tcpkeep verify --pid PID --json`, its exit status asserted."""
    r = subprocess.run([tool, "verify", "--pid", str(pid), "--json"], capture_output=True, text=True,
                       env=env if env is not None else clean_env(), timeout=60)
    test.assertEqual(r.returncode, expect, r.stdout + r.stderr)
    return json.loads(r.stdout)


def assert_holds(test, program, values, shim, policy=None, tool=BUILD_TOOL):
    """tcp_hold's three sockets (listener, client, accepted) hold `values`, and the shim at `shim`
    is loaded (None: not loaded), per `tcpkeep verify` and per pidfd_getfd."""
    report = verify(test, program.pid, tool=tool, expect=0 if shim else 1)
    test.assertEqual(report["shim"]["loaded"], shim is not None, report["shim"])
    if shim:
        test.assertEqual(report["shim"]["path"], os.path.realpath(shim))
    if policy:
        test.assertEqual(report["policy"], policy)
    test.assertEqual(sorted(s["state"] for s in report["sockets"]), ["ESTABLISHED", "ESTABLISHED", "LISTEN"])
    for s in report["sockets"]:
        actual = [int(s["actual"][f]) for f in FIELDS]
        test.assertEqual(actual, values, s)
        independent = remote_values(program.pid, s["fd"])
        test.assertEqual([independent[key] for key, _, _ in OPTIONS], values, s)
    return report


def kernel_values():
    """What a socket nobody configured holds: keepalive off, this namespace's sysctls, no user timeout."""
    return list(KERNEL_DEFAULTS.values())


def check_run_and_verify(test, layout):
    """An installed tree works on its own: its tcpkeep runs a program under the shim beside it
    (not a build tree's) and verifies it, with the tree's policy."""
    with Program([layout.tool, "run", "--policy", layout.policy, "--", HOLD, "4"], clean_env(), cwd="/") as p:
        assert_holds(test, p, DEFAULT_VALUES, shim=layout.shim, policy=layout.policy, tool=layout.tool)
        test.assertEqual(p.environ()["LD_PRELOAD"], os.path.realpath(layout.shim))


OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")  # an option as docs write it: -s, --dry-run


def _help(*subcommand):
    return subprocess.run([BUILD_TOOL, *subcommand, "--help"], capture_output=True, text=True, env=clean_env()).stdout


def options_in_help(*subcommand):
    """The options `tcpkeep [SUBCOMMAND] --help` lists ("  -s,--set TEXT ..." gives -s and --set)."""
    found = set()
    for line in _help(*subcommand).split("Options:", 1)[1].splitlines():
        m = re.match(r"\s+(-\S+)", line)
        if m:
            found.update(m.group(1).split(","))
    return found


def subcommands():
    return re.findall(r"^  ([a-z]+)\s", _help().split("Subcommands:", 1)[1], re.M)
