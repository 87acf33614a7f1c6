"""Shared by the cgroup-mode tests: a child cgroup of the v2 hierarchy to attach to, programs
started inside it, and the tool. Paths from ctest: TCPKEEP_TOOL, TCPKEEP_SHIM, TCPKEEP_SOCKPROBE,
TCPKEEP_SOCKPROBE_STATIC, TCPKEEP_SOCKET_TRIPLE."""
import ctypes
import json
import os
import struct
import subprocess
import sys
import time

import run_tests
from tcpkeep_test import borrowed_fd

TOOL = os.environ["TCPKEEP_TOOL"]
SHIM = os.environ["TCPKEEP_SHIM"]
SOCKPROBE = os.environ["TCPKEEP_SOCKPROBE"]
SOCKPROBE_STATIC = os.environ["TCPKEEP_SOCKPROBE_STATIC"]
SOCKET_TRIPLE = os.environ["TCPKEEP_SOCKET_TRIPLE"]
BPFFS_DIR = "tcpkeep"


def mount_of(fs_type):
    """The first mount point of fs_type in /proc/mounts, or None (never assumed: hosts differ)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == fs_type:
                return fields[1]
    return None


def require_cgroup_root(test):
    """Root and a cgroup v2 hierarchy; in CI (TCPKEEP_REQUIRE_NETNS=1) lacking either is a failure."""
    missing = "root" if os.geteuid() != 0 else "a cgroup v2 hierarchy" if mount_of("cgroup2") is None else None
    if missing is None:
        return
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        test.fail(f"this test needs {missing} (TCPKEEP_REQUIRE_NETNS=1)")
    test.skipTest(f"needs {missing}")


def tool(*args, env=None, prefix=(), cwd=None):
    return subprocess.run([*prefix, TOOL, *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


def pinned_attachments():
    """The cgroup ids with something pinned under <bpffs>/tcpkeep (none when the directory is gone)."""
    bpffs = mount_of("bpf")
    if bpffs is None or not os.path.isdir(os.path.join(bpffs, BPFFS_DIR)):
        return None
    return sorted(os.listdir(os.path.join(bpffs, BPFFS_DIR)))


_libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf, BPF_MAP_LOOKUP_ELEM, BPF_OBJ_GET = 321, 1, 7


def _bpf(cmd, attr):
    buffer = ctypes.create_string_buffer(attr, 128)
    return _libc.syscall(SYS_bpf, cmd, buffer, len(buffer.raw))


def socket_record(pid, fd):
    """Cgroup mode's record of another process's socket, from the socket-storage map pinned under
    <bpffs>/tcpkeep/sockets: (program_set, enforced, state) bits, or None when it has none."""
    path = ctypes.create_string_buffer(os.path.join(mount_of("bpf"), BPFFS_DIR, "sockets").encode())
    records = _bpf(BPF_OBJ_GET, struct.pack("=QII", ctypes.addressof(path), 0, 0))
    if records < 0:
        raise OSError(ctypes.get_errno(), "cannot open the pinned socket records")
    sock = borrowed_fd(pid, fd)
    try:
        key, value = ctypes.c_int(sock), ctypes.create_string_buffer(16)
        if _bpf(BPF_MAP_LOOKUP_ELEM, struct.pack("=IIQQQ", records, 0, ctypes.addressof(key), ctypes.addressof(value), 0)) < 0:
            if ctypes.get_errno() == 2:  # ENOENT
                return None
            raise OSError(ctypes.get_errno(), "cannot look up a socket record")
        return tuple(value.raw[:3])
    finally:
        os.close(sock)
        os.close(records)


def attached_programs(directory):
    """(attach type, program name) of every program attached to the cgroup directory itself."""
    out = subprocess.run(["bpftool", "-j", "cgroup", "show", directory], capture_output=True, text=True, check=True).stdout
    return sorted((p["attach_type"], p["name"]) for p in json.loads(out.strip() or "[]"))


class Cgroup:
    """A fresh child cgroup of the v2 hierarchy's root (or of `parent`); on exit its processes are killed, any attachment
    detached and the cgroup removed."""

    serial = 0

    def __init__(self, parent=None):
        Cgroup.serial += 1
        self.mount = mount_of("cgroup2")
        self.path = f"{parent.path if parent else ''}/tcpkeep-test-{os.getpid()}-{Cgroup.serial}"
        self.directory = self.mount + self.path
        os.mkdir(self.directory)
        self.procs = []

    def start(self, argv, **kw):
        """argv started inside this cgroup (it moves itself in before exec)."""
        procs_file = os.path.join(self.directory, "cgroup.procs")

        def enter():
            with open(procs_file, "w") as f:
                f.write("0")

        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        proc = subprocess.Popen(argv, preexec_fn=enter, text=True, **kw)
        self.procs.append(proc)
        return proc

    def run(self, argv, timeout=30, **kw):
        proc = self.start(argv, stdin=subprocess.DEVNULL, **kw)
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err

    def attach(self, test, policy, expect="attached"):
        r = tool("attach", "--policy", policy, "--cgroup", self.path)
        test.assertEqual(r.returncode, 0, r.stderr)
        test.assertTrue(r.stdout.startswith(expect), r.stdout)
        return r

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        tool("detach", "--cgroup", self.path)
        for _ in range(100):  # a killed process leaves the cgroup shortly after it is reaped
            try:
                os.rmdir(self.directory)
                return
            except OSError:
                time.sleep(0.02)


def write_policy(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    sys.exit(run_tests.main(sys.argv[1:], sys.modules["__main__"]))
