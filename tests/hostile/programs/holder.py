"""An attacker's process for the hostile tests: holds a loopback TCP connection to itself (listener,
client, accepted) and, on request, does what an unprivileged user may do to its own process.
Usage: holder.py [--map FILE] [--many-maps FILE N] [--comm NAME] [--connect PORT] [--listen HOST:PORT]
  --map FILE         map FILE (read-only, offset 0) and keep it mapped
  --many-maps FILE N map FILE N times (separate mappings: each at offset 0, never merged)
  --comm NAME        set the process's name (comm), escapes and all
  --connect PORT     also connect to 127.0.0.1:PORT and keep that connection
  --listen HOST:PORT also listen on HOST:PORT
Prints "ready PORT PID" once set up; then, per line on stdin:
  forge PATH         overwrite the path in the shim's published policy record (its own memory)
Exits when stdin closes."""
import argparse
import ctypes
import mmap
import os
import socket
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--map")
parser.add_argument("--many-maps", nargs=2)
parser.add_argument("--comm")
parser.add_argument("--connect", type=int)
parser.add_argument("--listen")
args = parser.parse_args()

kept = []
if args.map:
    with open(args.map, "rb") as f:
        kept.append(mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ))
if args.many_maps:
    path, count = args.many_maps[0], int(args.many_maps[1])
    # Straight mmap(2): Python's mmap objects each keep a duplicate fd, and fds run out first.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    with open(path, "rb") as f:
        for _ in range(count):
            if libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_PRIVATE, f.fileno(), 0) in (None, ctypes.c_void_p(-1).value):
                raise OSError(ctypes.get_errno(), "mmap")
if args.comm is not None:
    PR_SET_NAME = 15
    ctypes.CDLL(None).prctl(PR_SET_NAME, args.comm.encode(), 0, 0, 0)

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
port = listener.getsockname()[1]
client = socket.create_connection(("127.0.0.1", port))
accepted = listener.accept()[0]
if args.connect:
    kept.append(socket.create_connection(("127.0.0.1", args.connect)))
if args.listen:
    host, _, listen_port = args.listen.rpartition(":")
    extra = socket.socket()
    extra.bind((host, int(listen_port)))
    extra.listen(8)
    kept.append(extra)


def forge(path):
    """The shim's record lives in the process's own writable memory: any process can rewrite it."""
    shim = next(line.split()[-1] for line in open("/proc/self/maps") if line.rstrip().endswith("/libtcpkeep.so"))
    lib = ctypes.CDLL(shim)
    state = ctypes.addressof(ctypes.c_char.in_dll(lib, "tcpkeep_state_v1"))
    record = ctypes.c_void_p.from_address(state + 16).value  # PublishedState::policy
    data = path.encode() + b"\0"
    ctypes.memmove(record + 32, data, len(data))  # PublishedPolicy::path


print("ready", port, os.getpid(), flush=True)
for line in sys.stdin:
    command, _, rest = line.rstrip("\n").partition(" ")
    if command == "forge":
        forge(rest)
        print("ok", flush=True)
