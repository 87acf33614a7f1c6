"""Holds N loopback TCP connections to itself (a listener, N/2 clients and the N/2 accepted ends) until
stdin closes, with no keepalive of its own. Usage: hold_connections.py N (even). Prints "ready PORT"."""
import socket
import sys

pairs = int(sys.argv[1]) // 2
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(pairs)
held = []
for _ in range(pairs):
    held.append(socket.create_connection(listener.getsockname()))
    held.append(listener.accept()[0])
print("ready", listener.getsockname()[1], flush=True)
sys.stdin.read()
