"""THREADS threads connect to 127.0.0.1:PORT over and over until stdin closes, each reading the
five options of every socket right after connect; prints one JSON object: how many sockets held
each distinct set of values."""
import collections
import json
import socket
import sys
import threading

OPTIONS = ((socket.SOL_SOCKET, socket.SO_KEEPALIVE), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
           (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT), (socket.IPPROTO_TCP, 18))
port, threads = int(sys.argv[1]), int(sys.argv[2])
seen = collections.Counter()
lock = threading.Lock()
stop = threading.Event()


def storm():
    while not stop.is_set():
        with socket.create_connection(("127.0.0.1", port)) as s:
            values = tuple(s.getsockopt(level, name) for level, name in OPTIONS)
        with lock:
            seen[values] += 1


workers = [threading.Thread(target=storm) for _ in range(threads)]
for w in workers:
    w.start()
print("storming", flush=True)
sys.stdin.read()
stop.set()
for w in workers:
    w.join()
print(json.dumps([[list(k), n] for k, n in seen.items()]))
