"""A client whose peer goes silent: connects to HOST PORT with the options given, exchanges one line,
prints "exchanged", waits for a byte on stdin, then (with --send) sends data, and blocks in recv()
until the kernel gives up: prints "error NAME" (or "eof"), then "done", and keeps the socket until
stdin closes (so the process holding it can be found). A refused or timed-out connect prints
"error NAME" at once.
Usage: dead_peer_client.py HOST PORT [--keepalive IDLE,INTERVAL,COUNT] [--user-timeout MS] [--send]"""
import argparse
import errno
import socket
import sys

TCP_USER_TIMEOUT = 18

parser = argparse.ArgumentParser()
parser.add_argument("host")
parser.add_argument("port", type=int)
parser.add_argument("--keepalive")
parser.add_argument("--user-timeout", type=int)
parser.add_argument("--send", action="store_true")
args = parser.parse_args()


def report(e):
    print("error", errno.errorcode.get(e.errno, str(e.errno)), flush=True)
    finish()


def finish():
    print("done", flush=True)
    sys.stdin.read()
    sys.exit(0)


s = socket.socket()
if args.keepalive:
    idle, interval, count = (int(x) for x in args.keepalive.split(","))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, interval)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, count)
if args.user_timeout is not None:
    s.setsockopt(socket.IPPROTO_TCP, TCP_USER_TIMEOUT, args.user_timeout)
try:
    s.connect((args.host, args.port))
except OSError as e:
    report(e)
s.sendall(b"hello\n")
echo = b""
while not echo.endswith(b"\n"):
    echo += s.recv(64)
print("exchanged", flush=True)
sys.stdin.read(1)
try:
    if args.send:
        s.sendall(b"x" * 1000)
    data = s.recv(64)
    print("eof" if not data else "data", flush=True)
    finish()
except OSError as e:
    report(e)
