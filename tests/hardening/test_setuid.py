"""Setuid programs (secure execution, AT_SECURE): every TCPKEEP_* variable is ignored and only the
system policy is read, and only when root owns it and nobody else may write it.

Each case runs a setuid-root copy of sockprobe as nobody. ld.so preloads nothing named with a slash in
secure mode, and otherwise only set-user-ID libraries from its system directories; so the secure
cases run in a private mount namespace where an overlay adds the shim (mode 4755) and its engine to
the system library directory, and another adds a system policy at the compiled-in path. Nothing on
the host changes, and nothing is left behind."""
import os
import re
import subprocess
import unittest

from staging import staged_for
from tcpkeep_test import (KERNEL_DEFAULTS, SHIM, SOCKPROBE, Listener, PolicyFile, main, parse_values, require_root,
                          run_probe, shim_env)

SYSCONF = os.environ.get("TCPKEEP_SYSCONF", "")
AS_NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--")  # numeric: no /etc lookups
SYSTEM_POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "33s"\n'
USER_POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "44s"\n'
# In a namespace: overlay $1 onto system library directory $2, and $3 onto the policy's $4; then exec.
MOUNT_AND_EXEC = ('set -e; mount -t overlay tcpkeep-lib -o "lowerdir=$1:$2" "$2"; '
                  'mount -t overlay tcpkeep-etc -o "lowerdir=$3:$4" "$4"; shift 4; exec "$@"')


def system_library_dir():
    """The directory libc was loaded from: one of ld.so's trusted directories."""
    with open("/proc/self/maps") as f:
        for line in f:
            if line.rstrip().endswith("/libc.so.6"):
                return os.path.dirname(os.path.realpath(line.split()[-1]))
    raise AssertionError("libc.so.6 is not mapped")


def require_mount_namespace(test):
    require_root(test)
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
            test.fail(f"cannot make a mount namespace: {r.stderr.strip()}")
        raise unittest.SkipTest(f"cannot make a mount namespace: {r.stderr.strip()}")


class SetuidProgram(unittest.TestCase):
    def setUp(self):
        require_mount_namespace(self)
        self.staged = staged_for(self)  # nobody runs the probe, ld.so reads the overlays as nobody
        self.probe = self.staged.copy(SOCKPROBE, "sockprobe-suid")
        os.chown(self.probe, 0, 0)
        os.chmod(self.probe, 0o4755)
        self.layers = 0
        self.libdir = system_library_dir()
        self.sysconfdir = os.path.dirname(os.path.dirname(SYSCONF))  # <sysconfdir>/tcpkeep/policy.toml
        if not os.path.isdir(self.sysconfdir):
            self.fail(f"{self.sysconfdir} (the system policy's directory's parent) does not exist")
        self.user_policy = PolicyFile(USER_POLICY)  # what TCPKEEP_POLICY names: never read in secure mode
        self.addCleanup(self.user_policy.__exit__)
        self.log_file = os.path.join(self.staged.dir, "shim.log")

    def overlays(self, policy_owner=0, policy_mode=0o644):
        """Lower directories: the shim and engine as ld.so wants them; the system policy as asked."""
        self.layers += 1
        lib = os.path.dirname(self.staged.shim(SHIM, mode=0o4755, into=f"layers{self.layers}/lib"))
        etc = self.staged.subdir(f"layers{self.layers}/etc")
        policy_dir = self.staged.subdir(f"layers{self.layers}/etc/{os.path.basename(os.path.dirname(SYSCONF))}")
        with open(os.path.join(policy_dir, os.path.basename(SYSCONF)), "w") as f:
            f.write(SYSTEM_POLICY)
        os.chown(f.name, policy_owner, policy_owner)
        os.chmod(f.name, policy_mode)
        return lib, etc

    def run_secure(self, preload, overlays):
        """Runs the setuid probe as nobody: connect, show, then hold while /proc/PID/maps is read.
        Returns (pid, values, shim libraries mapped, stderr)."""
        env = shim_env(self.user_policy.path, "debug", preload=False, TCPKEEP_LOG_FILE=self.log_file)
        lib, etc = overlays
        with Listener() as l:
            argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", MOUNT_AND_EXEC, "sh",
                    lib, self.libdir, etc, self.sysconfdir, *AS_NOBODY, "env", f"LD_PRELOAD={preload}",  # for the probe only
                    self.probe, "socket", "inet", "stream", "connect", "127.0.0.1", str(l.port), "show", "wait"]
            p = subprocess.Popen(argv, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                lines = [p.stdout.readline().rstrip("\n") for _ in range(4)]
                self.assertEqual(lines[3], "ready", p.stderr.read() if p.poll() is not None else lines)
                with open(f"/proc/{p.pid}/maps") as f:
                    mapped = sorted({m for m in re.findall(r"\S*libtcpkeep\S*\.so", f.read())})
                p.stdin.close()
                stderr = p.stderr.read()
                self.assertEqual(p.wait(timeout=20), 0, stderr)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        self.assertEqual(lines[:2], ["socket fd=3 errno=0", "connect rc=0 errno=0"])
        return p.pid, parse_values(lines[2]), mapped, stderr

    def test_variables_ignored_and_the_system_policy_read(self):
        pid, values, mapped, stderr = self.run_secure("libtcpkeep.so", self.overlays())
        self.assertEqual(mapped, [f"{self.libdir}/libtcpkeep-engine.so", f"{self.libdir}/libtcpkeep.so"])
        self.assertEqual(values, {**KERNEL_DEFAULTS, "ka": 1, "idle": 33})  # the system policy, not TCPKEEP_POLICY's 44
        self.assertEqual(stderr, "")  # TCPKEEP_LOG=debug ignored too
        self.assertFalse(os.path.exists(self.log_file))  # and TCPKEEP_LOG_FILE

    def test_system_policy_others_may_write_is_refused(self):
        refused = (f"{SYSCONF}: policy ignored for a setuid program: it must be owned by root and not "
                   "group/world-writable; sockets left unchanged")
        for name, owner, mode in (("world-writable", 0, 0o666), ("group-writable", 0, 0o664), ("owned by nobody", 65534, 0o644)):
            with self.subTest(name):
                pid, values, mapped, stderr = self.run_secure("libtcpkeep.so", self.overlays(owner, mode))
                self.assertEqual(values, KERNEL_DEFAULTS)
                self.assertEqual(stderr, f"tcpkeep[{pid}]: {refused}\n")

    def test_preload_path_with_a_slash_is_not_loaded(self):
        # ld.so's rule: the shim never enters the process, so even the system policy does not apply.
        pid, values, mapped, stderr = self.run_secure(SHIM, self.overlays())
        self.assertEqual((mapped, values, stderr), ([], KERNEL_DEFAULTS, ""))


class OrdinaryProgram(unittest.TestCase):
    def test_world_writable_policy_is_refused_too(self):
        # Whoever may write the policy could cut this program's connections (test_policy_trust has the whole rule).
        with Listener() as l, PolicyFile(USER_POLICY) as p:
            os.chmod(p.path, 0o666)
            lines, stderr = run_probe(["socket", "inet", "stream", "connect", "127.0.0.1", l.port, "show"], policy=p.path)
        self.assertEqual(parse_values(lines[-1]), KERNEL_DEFAULTS)
        self.assertRegex(stderr, rf"^tcpkeep\[\d+\]: {re.escape(p.path)}: policy refused: {re.escape(p.path)} is writable by every user "
                                 rf"\(mode 0666\); fix: chmod go-w {re.escape(p.path)}; sockets left unchanged\n$")


if __name__ == "__main__":
    main()
