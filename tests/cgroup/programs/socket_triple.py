"""A listener, a client connected to it and the accepted socket, in this process, with no
keepalive code of its own; prints the five options of each as one JSON line.
With `hold`, prints "ready" once the three exist and the values only after a line on stdin (the
sockets then existed before whatever happened in between: an attach).
Usage: socket_triple.py LISTEN_HOST CONNECT_HOST PORT [hold]  (CONNECT_HOST may be v4-mapped: ::ffff:127.0.0.2)."""
import json
import socket
import sys

OPTIONS = ((socket.SOL_SOCKET, socket.SO_KEEPALIVE), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
           (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT), (socket.IPPROTO_TCP, 18))


def values(sock):
    return [sock.getsockopt(level, name) for level, name in OPTIONS]


listen_host, connect_host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
listener = socket.socket(socket.AF_INET6 if ":" in listen_host else socket.AF_INET)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((listen_host, port))
listener.listen()
client = socket.socket(socket.AF_INET6 if ":" in connect_host else socket.AF_INET)
client.connect((connect_host, port))
accepted, _ = listener.accept()
if sys.argv[4:] == ["hold"]:
    print("ready", flush=True)
    sys.stdin.readline()
print(json.dumps({"listener": values(listener), "client": values(client), "accepted": values(accepted)}))
