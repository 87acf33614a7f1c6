"""posix_spawn, vfork (Python's subprocess) and fork without exec from a program under the shim:
the children started with exec get the policy, and the parent's record of its own socket survives
what the children do with their copy of it (close it, dup2 it onto stdin): the option the parent
set itself is still its own when it connects afterwards."""
import subprocess
import sys
import unittest

from tcpkeep_test import EMBEDDED_DEFAULT, SOCKPROBE, Listener, main, parse_values, shim_env

PARENT = r'''
import os, socket, subprocess, sys
port, probe = int(sys.argv[1]), sys.argv[2]
child = [probe, "socket", "inet", "stream", "connect", "127.0.0.1", str(port), "show"]
s = socket.socket()
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 5)  # the parent's own choice
out = {}
# posix_spawn (clone with CLONE_VM|CLONE_VFORK): its file actions close the socket in the child.
r, w = os.pipe()
pid = os.posix_spawn(probe, child, os.environ, file_actions=[(os.POSIX_SPAWN_CLOSE, s.fileno()), (os.POSIX_SPAWN_DUP2, w, 1)])
os.close(w)
os.waitpid(pid, 0)
with os.fdopen(r) as f:
    out["posix_spawn"] = f.read().splitlines()[-1]
# subprocess uses vfork: the child dup2s the socket onto its stdin, then closes every other fd.
out["vfork"] = subprocess.run(child, stdin=s.fileno(), capture_output=True, text=True).stdout.splitlines()[-1]
# fork without exec: the child closes its copy.
pid = os.fork()
if pid == 0:
    s.close()
    os._exit(0)
os.waitpid(pid, 0)
s.connect(("127.0.0.1", port))
out["parent"] = "ka={} idle={} interval={} count={} user_timeout={}".format(
    s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), *(s.getsockopt(socket.IPPROTO_TCP, o) for o in (4, 5, 6, 18)))
for name, line in out.items():
    print(name, line)
'''


class Spawn(unittest.TestCase):
    def test_children_get_the_policy_and_the_parent_keeps_its_choice(self):
        with Listener() as l:
            r = subprocess.run([sys.executable, "-c", PARENT, str(l.port), SOCKPROBE], env=shim_env(),
                               capture_output=True, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        found = {line.split(" ", 1)[0]: parse_values(line.split(" ", 1)[1]) for line in r.stdout.splitlines()}
        self.assertEqual(found, {"posix_spawn": EMBEDDED_DEFAULT, "vfork": EMBEDDED_DEFAULT,
                                 "parent": {**EMBEDDED_DEFAULT, "idle": 5}})


if __name__ == "__main__":
    main()
