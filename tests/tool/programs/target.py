"""A python3 program holding a loopback TCP connection to itself, reporting what its own sockets
hold (getsockopt from inside: an independent read-back for `tcpkeep apply` and `run -s`).
Usage: target.py 4|6. Prints "ready PORT"; then for each line on stdin:
  report -> one JSON line {"listener": [keepalive, idle, interval, count, user_timeout], "client": [...], ...}
  accept -> one more client/accepted pair ("client2"/"accepted2"), then "ok"
Exits when stdin closes."""
import json
import socket
import sys

family = socket.AF_INET6 if sys.argv[1:] == ["6"] else socket.AF_INET
host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
sockets = {"listener": socket.socket(family, socket.SOCK_STREAM)}
sockets["listener"].bind((host, 0))
sockets["listener"].listen(8)
port = sockets["listener"].getsockname()[1]


def pair(suffix):
    sockets["client" + suffix] = socket.create_connection((host, port))
    sockets["accepted" + suffix] = sockets["listener"].accept()[0]


def options(s):
    return [s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)]


pair("")
print("ready", port, flush=True)
for line in sys.stdin:
    if line.strip() == "report":
        print(json.dumps({name: options(s) for name, s in sockets.items()}), flush=True)
    elif line.strip() == "accept":
        pair("2")
        print("ok", flush=True)
