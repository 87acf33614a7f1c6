"""Shared by the engine tests: the Debian root file system they boot and import (built once, cached
by what it is made of), the Debian package they install, systemd booted in systemd-nspawn, and a
private dockerd. Every engine is started in a way that cannot outlive the test: systemd-nspawn and
dockerd get their own mount namespace (their mounts vanish with their last process), and this
process becomes the subreaper of everything they start, so a test that fails or times out still
ends them (run_tests.py kills the descendants of a test that overruns).

ctest passes TCPKEEP_ENGINES_PACKAGE (the directory holding the one tcpkeep_*.deb),
TCPKEEP_ECHO_SERVER_DIR (the legacy programs of examples/legacy) and TCPKEEP_TOOL (the build tree's
tcpkeep, for verifying from the host); TCPKEEP_ENGINES_CACHE, when set, is where root file
systems are kept (default /var/cache/tcpkeep-engines)."""
import ctypes
import fcntl
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import run_tests
from tcpkeep_test import EMBEDDED_DEFAULT, OPTIONS, remote_values

SUITE = "bookworm"
VARIANT = "minbase"
# systemd as PID 1 needs systemd-sysv and dbus; python3 for scripted programs inside. The containers
# have no network, so the base also holds what the tcpkeep package depends on beyond minbase: libbpf1
# (the tool links libbpf for cgroup mode), as a mirror would provide it on a real host.
PACKAGES = ("systemd", "systemd-sysv", "dbus", "python3", "libbpf1")

ECHO_DIR = os.environ.get("TCPKEEP_ECHO_SERVER_DIR", "")
LEGACY_PROGRAMS = ("echo_server", "echo_client")
# The same programs linked statically (empty: a build without cgroup mode), and their names.
STATIC_ECHO_DIR = os.environ.get("TCPKEEP_STATIC_ECHO_DIR", "")
STATIC_PROGRAMS = tuple(p + "_static" for p in LEGACY_PROGRAMS)
MULTIARCH = os.environ.get("TCPKEEP_MULTIARCH", "x86_64-linux-gnu")
# Where the Debian package installs (what examples/ name).
PACKAGE_SHIM = f"/usr/lib/{MULTIARCH}/tcpkeep/libtcpkeep.so"
PACKAGE_POLICY = "/etc/tcpkeep/policy.toml"
DEFAULT_VALUES = [EMBEDDED_DEFAULT[key] for key, _, _ in OPTIONS]  # the package's policy.toml
FIELDS = ["keepalive", "idle_s", "interval_s", "count", "user_timeout_ms"]
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def missing_engines(*programs):
    """Why the engine tests cannot run here (not root, a program missing), or None."""
    missing = [p for p in programs if shutil.which(p, path=CLEAN_PATH) is None]
    return "needs root" if os.geteuid() != 0 else f"needs {', '.join(missing)}" if missing else None


def require_engines(*programs):
    """Root and these programs, or a failure under TCPKEEP_REQUIRE_NETNS=1, else a skip."""
    reason = missing_engines(*programs)
    if reason is None:
        return
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        raise AssertionError(f"{reason} (TCPKEEP_REQUIRE_NETNS=1 makes that a failure; scripts/test installs them)")
    raise unittest.SkipTest(reason)


def require_cgroup_mode():
    """A build with cgroup mode (its static test programs exist), or a failure under
    TCPKEEP_REQUIRE_NETNS=1 (CI builds it), else a skip."""
    if STATIC_ECHO_DIR:
        return
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        raise AssertionError("this tcpkeep is built without cgroup mode (TCPKEEP_REQUIRE_NETNS=1 makes that a failure)")
    raise unittest.SkipTest("needs a tcpkeep built with cgroup mode")


def setup_can_run(step, *programs):
    """For the fixture setups: whether the tests they prepare can run here. If not, the setup fails
    under TCPKEEP_REQUIRE_NETNS=1 (SystemExit), else says why and does nothing (the tests skip)."""
    reason = missing_engines(*programs)
    if reason is None:
        return True
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        raise SystemExit(f"{step}: {reason} (TCPKEEP_REQUIRE_NETNS=1 makes that a failure)")
    print(f"{step}: nothing done; the engine tests cannot run here: {reason}")
    return False


def rootfs_key():
    """What the root file system is made of; a different list is a different cache entry."""
    return hashlib.sha256(f"mmdebstrap --variant={VARIANT} {SUITE} {','.join(PACKAGES)}".encode()).hexdigest()[:16]


def rootfs_dir():
    return os.path.join(os.environ.get("TCPKEEP_ENGINES_CACHE", "/var/cache/tcpkeep-engines"), f"rootfs-{rootfs_key()}")


_rootfs_locks = []


def use_rootfs():
    """The cached root file system, held under a shared lock for as long as this process runs, so
    that a run building another one (a different package list, in another tree) does not remove
    it while it is booted or imported here."""
    path = rootfs_dir()
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _rootfs_locks.append(fd)
    return path


def prune_rootfs(keep):
    """Removes the cached root file systems other than `keep` (made from older package lists) that
    nothing uses now (their lock free); one takes about as much space as a Debian install."""
    removed = []
    for old in glob.glob(os.path.join(os.path.dirname(keep), "rootfs-*")):
        if old == keep or old.endswith(".lock") or not os.path.isdir(old):
            continue
        fd = os.open(old + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(old)
            os.unlink(old + ".lock")
            removed.append(old)
        except BlockingIOError:
            pass  # a test is using it: left for a later run
        finally:
            os.close(fd)
    return removed


def build_rootfs():
    """The cached root file system, made with mmdebstrap first when there is none. Built in a
    scratch directory beside its place and renamed into it, so an interrupted build is never taken
    for a finished one; mmdebstrap runs in a mount namespace of its own, so the mounts it makes in
    the new tree end with it, even when it is killed."""
    target = rootfs_dir()
    if os.path.isdir(target):
        return target
    cache = os.path.dirname(target)
    os.makedirs(cache, exist_ok=True)
    scratch = owned_scratch_dir(cache, ".partial-")
    try:
        # stdin: without a mirror argument mmdebstrap reads mirrors from a stdin that is not a terminal.
        subprocess.run(["nice", "-n", "10", "unshare", "--mount", "--propagation", "private", "mmdebstrap", "--quiet",
                        f"--variant={VARIANT}", f"--include={','.join(PACKAGES)}", SUITE, os.path.join(scratch, "rootfs")],
                       stdin=subprocess.DEVNULL, check=True)
        try:
            os.rename(os.path.join(scratch, "rootfs"), target)
        except OSError:
            if not os.path.isdir(target):
                raise  # else another run finished the same root file system first: use that one
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def the_package():
    found = glob.glob(os.path.join(os.environ["TCPKEEP_ENGINES_PACKAGE"], "tcpkeep_*.deb"))
    if len(found) != 1:
        raise AssertionError(f"expected one tcpkeep_*.deb in {os.environ['TCPKEEP_ENGINES_PACKAGE']}, found {found}")
    return found[0]


def become_subreaper():
    """Orphans below this process (nspawn's container, containerd's shims) are reparented here, not to
    PID 1, so run_tests.py's clean-up on a timeout finds them among this process's descendants."""
    PR_SET_CHILD_SUBREAPER = 36
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def wait_until(condition, what, timeout):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def host_pid(leader, pid):
    """The pid, as this process sees it, of `pid` in the pid namespace whose init is `leader`."""
    namespace = os.readlink(f"/proc/{leader}/ns/pid")
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            with open(f"/proc/{entry}/status") as f:
                nspid = next(line for line in f if line.startswith("NSpid:")).split()
        except (OSError, StopIteration):
            continue
        if int(nspid[-1]) == pid:
            return int(entry)
    raise AssertionError(f"no process {pid} in the pid namespace of {leader}")


def verify_report(test, run, pid, expect):
    """`tcpkeep verify --pid PID --json` through `run` (a function running a command inside an
    engine), its exit status asserted; the report."""
    r = run(["tcpkeep", "verify", "--pid", str(pid), "--json"])
    test.assertEqual(r.returncode, expect, r.stdout + r.stderr)
    return json.loads(r.stdout)


def socket_values(report):
    """{state: [keepalive, idle, interval, count, user timeout]} of each TCP socket verify reported."""
    found = {}
    for s in report["sockets"]:
        found.setdefault(s["state"], []).append([int(s["actual"][f]) for f in FIELDS])
    return found


def assert_sockets(test, report, host_pid, expected):
    """verify's report holds `expected` ({state: [values, ...]}), and pidfd_getfd from this process
    reads the same values from each socket it names."""
    test.assertEqual(socket_values(report), expected, report)
    for s in report["sockets"]:
        independent = remote_values(host_pid, s["fd"])
        test.assertEqual([independent[key] for key, _, _ in OPTIONS], [int(s["actual"][f]) for f in FIELDS], s)


def run_host(argv, **env):
    """argv on this machine with a clean environment (no TCPKEEP_*, no LD_PRELOAD) plus `env`. Bytes
    that are not UTF-8 are kept escaped: `tcpkeep attached` lists every attachment on the machine,
    other tests' too, and one being made meanwhile has been seen listed with garbage in it."""
    return subprocess.run(argv, capture_output=True, text=True, errors="backslashreplace", timeout=60,
                          env={"PATH": CLEAN_PATH, **env}, cwd="/")


def processes_like(pid, program):
    """The pids (as this process sees them) running `program` in the pid namespace of `pid`."""
    namespace = os.readlink(f"/proc/{pid}/ns/pid")
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") == namespace and os.path.basename(os.readlink(f"/proc/{entry}/exe")) == program:
                found.append(int(entry))
        except OSError:
            continue
    return found


def mount_point(fs_type):
    """Where this machine mounts fs_type first (/proc/mounts; never assumed: hosts differ)."""
    with open("/proc/self/mounts") as f:
        found = next((fields[1] for fields in (line.split() for line in f) if fields[2] == fs_type), None)
    if found is None:
        raise AssertionError(f"no {fs_type} file system is mounted here")
    return found


class HostCgroup:
    """A new cgroup in this machine's cgroup v2 hierarchy (below `parent`, a path in it), and programs
    started in it. close() kills them and removes the cgroup."""

    def __init__(self, name, parent=""):
        self.path = f"{parent}/{name}"
        self.directory = mount_point("cgroup2") + self.path
        os.mkdir(self.directory)
        self.processes = []

    def start(self, argv):
        procs = os.path.join(self.directory, "cgroup.procs")

        def enter():
            with open(procs, "w") as f:
                f.write("0")

        process = subprocess.Popen(argv, preexec_fn=enter, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env={"PATH": CLEAN_PATH})
        self.processes.append(process)
        return process

    def close(self):
        for process in self.processes:
            process.kill()
            process.communicate()
        # A killed process leaves its cgroup shortly after it is reaped.
        wait_until(lambda: self._removed(), f"cgroup {self.path} to be removable", 5)

    def _removed(self):
        try:
            os.rmdir(self.directory)
        except FileNotFoundError:
            pass
        except OSError:
            return False
        return True


def kernel_values(pid):
    """What a socket nobody configured holds in the network namespace of `pid`: keepalive off, that
    namespace's keepalive sysctls (a new namespace starts from the kernel's defaults), no user timeout."""
    sysctls = run_host(["nsenter", "-t", str(pid), "-n", "cat", *(f"/proc/sys/net/ipv4/tcp_keepalive_{name}"
                                                                  for name in ("time", "intvl", "probes"))])
    if sysctls.returncode != 0:
        raise AssertionError(f"reading the keepalive sysctls of {pid}'s network namespace: {sysctls.stderr}")
    return [0, *map(int, sysctls.stdout.split()), 0]


def leftovers(paths, interfaces_before):
    """What an engine left on the host: mounts below `paths`, and Docker-named network interfaces
    (docker0, br-<network>) that were not there before. Only what is the engine's own is looked at:
    other tests may mount and make interfaces meanwhile."""
    with open("/proc/self/mounts") as f:
        mounts = [m for m in (line.split()[1] for line in f) if any(m == p or m.startswith(p + "/") for p in paths)]
    interfaces = [i for i in os.listdir("/sys/class/net") if i.startswith(("docker", "br-")) and i not in interfaces_before]
    return mounts + interfaces


class Engine:
    """A long-running engine process in its own session, its output kept in a file. Stopping it
    checks that it left no mount below its own paths and no bridge on the host."""

    def _start(self, name, argv, log, own_paths, env=None):
        self.name, self.log, self.own_paths = name, log, own_paths
        self.interfaces_before = os.listdir("/sys/class/net")
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, env=env)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def ensure_running(self):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.process.returncode}:\n{self.output()}")

    def _stop(self, stop, timeout):
        """stop(), then SIGKILL to its session after `timeout` s; then ends and reaps what it left."""
        if self.process.poll() is None:
            stop()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        end_descendants()
        self.log.close()
        left = leftovers(self.own_paths, self.interfaces_before)
        if left:
            raise AssertionError(f"{self.name} left on the host: {left}")


class BootedSystemd(Engine):
    """systemd as PID 1 in systemd-nspawn over `rootfs`, which stays unchanged: the container writes
    to a tmpfs overlay (--volatile=overlay). The host's PID 1 is not systemd, hence --register=no
    --keep-unit; --private-network keeps its sockets in its own network namespace. Cgroup mode
    inside (tcpkeep attach in a unit's ExecStartPre=) needs the bpf() system call, which nspawn's
    seccomp filter refuses and its capability set lacks by default: --system-call-filter=bpf and
    CAP_BPF (CAP_NET_ADMIN comes with --private-network), and a place for the BPF filesystem: with
    --private-network nspawn's /sys is a read-only tmpfs without /sys/fs/bpf, and systemd mounts
    none in a container; a tmpfs there is the mount point tcpkeep mounts a BPF filesystem on. That
    one belongs to the container's mount namespace: what is pinned in it goes with the container."""

    def __init__(self, rootfs):
        self._start("systemd-nspawn",
                    ["systemd-nspawn", "-q", "-D", rootfs, "--volatile=overlay", "-b", "--register=no", "--keep-unit",
                     "--private-network", "--capability=CAP_BPF", "--system-call-filter=bpf", "--tmpfs=/sys/fs/bpf:mode=700",
                     "--console=read-only"],
                    tempfile.TemporaryFile("w+"), [rootfs])
        try:
            self.leader = wait_until(self._leader, "systemd-nspawn's container to start systemd", 30)
            # systemctl needs the manager's private bus, created once systemd runs.
            wait_until(lambda: os.path.exists(f"/proc/{self.leader}/root/run/systemd/private"), "systemd's bus", 30)
            state = self.run(["systemctl", "is-system-running", "--wait"], timeout=60).stdout.strip()
            if state not in ("running", "degraded"):
                raise AssertionError(f"systemd in the container is {state}:\n{self.output()}")
        except BaseException:
            self.close()
            raise

    def _leader(self):
        self.ensure_running()
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                children = f.read().split()
            with open(f"/proc/{children[0]}/comm") as f:
                return int(children[0]) if f.read().strip() == "systemd" else None
        except (OSError, IndexError):
            return None

    def run(self, argv, timeout=60):
        """argv inside the container (all its namespaces), with a clean environment."""
        return subprocess.run(["nsenter", "-t", str(self.leader), "-a", "env", "-i", f"PATH={CLEAN_PATH}",
                               "LANG=C.UTF-8", *argv],
                              capture_output=True, text=True, timeout=timeout)

    def check(self, argv, timeout=60):
        r = self.run(argv, timeout)
        if r.returncode != 0:
            raise AssertionError(f"{argv} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r.stdout

    def write(self, path, text, mode=0o644):
        """A file in the container (its root as seen through the leader)."""
        full = f"/proc/{self.leader}/root{path}"
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    def copy_in(self, source, path, mode=0o755):
        full = f"/proc/{self.leader}/root{path}"
        os.makedirs(os.path.dirname(full), exist_ok=True)
        shutil.copyfile(source, full)
        os.chmod(full, mode)

    def close(self):
        """Kills the container's init (the whole pid namespace goes with it), then nspawn ends."""
        def kill_init():
            leader = self._leader() if self.process.poll() is None else None
            if leader:
                os.kill(leader, signal.SIGKILL)
        self._stop(kill_init, 20)


def owned_scratch_dir(parent, prefix):
    """A new directory in `parent` that records this process as its owner; first removes those of
    the same kind whose owner is gone (a test killed before it could clean up; nothing is mounted
    there: the engines' mounts live in their own mount namespaces)."""
    for stale in glob.glob(os.path.join(parent, prefix + "*")):
        try:
            with open(os.path.join(stale, "owner")) as f:
                os.kill(int(f.read()), 0)
            continue  # its owner still runs
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            if time.time() - os.stat(stale).st_mtime < 60:
                continue  # just made: its owner file comes next
        shutil.rmtree(stale, ignore_errors=True)
    directory = tempfile.mkdtemp(prefix=prefix, dir=parent)
    with open(os.path.join(directory, "owner"), "w") as f:
        f.write(str(os.getpid()))
    return directory


class Dockerd(Engine):
    """A private Docker daemon: its own socket, data and exec roots under a scratch directory, no
    default bridge, iptables or forwarding changes, in its own mount and network namespaces: the
    overlay and network-namespace mounts it makes vanish with it, and the bridges of user-defined
    networks are made in its namespace, never on the host's network."""

    def __init__(self):
        self.root = owned_scratch_dir(tempfile.gettempdir(), "tcpkeep-dockerd-")
        self.socket = os.path.join(self.root, "docker.sock")
        self._start("dockerd",
                    ["unshare", "--mount", "--propagation", "private", "--net", "dockerd", "-H", f"unix://{self.socket}",
                     "--data-root", os.path.join(self.root, "data"),
                     "--exec-root", os.path.join(self.root, "exec"), "--pidfile", os.path.join(self.root, "docker.pid"), "--bridge=none", "--iptables=false",
                     "--ip-forward=false", "--ip-masq=false"],
                    open(os.path.join(self.root, "dockerd.log"), "w+"), [self.root], env={"PATH": CLEAN_PATH})
        try:
            wait_until(self._ready, "dockerd to answer", 60)
        except BaseException:
            self.close()
            raise

    def _ready(self):
        self.ensure_running()
        return os.path.exists(self.socket) and self.docker("version", check=False).returncode == 0

    def docker(self, *args, check=True, timeout=120, stdin=None):
        """The docker client (Debian's, beside this dockerd) talking to this daemon."""
        r = subprocess.run(["/usr/bin/docker", "-H", f"unix://{self.socket}", *args], stdin=stdin,
                           capture_output=True, text=True, timeout=timeout,
                           env={"PATH": CLEAN_PATH, "DOCKER_BUILDKIT": "0", "HOME": self.root})
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
        return r

    def import_rootfs(self, rootfs, name):
        """`tar -C ROOTFS -c . | docker import - NAME`."""
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        try:
            self.docker("import", "-", name, stdin=tar.stdout, timeout=180)
        finally:
            tar.stdout.close()
            if tar.wait() != 0:
                raise AssertionError(f"tar of {rootfs} exited {tar.returncode}")

    def close(self):
        """Stops the daemon (on SIGTERM it stops its containers and containerd), ends whatever it
        left (reparented here), then removes its directories."""
        self._stop(self.process.terminate, 30)
        shutil.rmtree(self.root, ignore_errors=True)


def end_descendants():
    """Kills and reaps every process still below this one (orphans an engine left to its subreaper)."""
    for pid in run_tests.descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # gone already, or not reparented here (its parent, killed too, reaps it)
