"""Replacing an attachment under load: 20 threads in the cgroup connect without pause while the
policy is replaced back and forth; every socket holds the old policy's values or the new one's,
never none. And a second tcpkeep working on the same cgroup at the same moment is refused."""
import fcntl
import json
import os
import socket
import subprocess
import tempfile
import threading
import unittest

from cgrouptest import Cgroup, main, mount_of, require_cgroup_root, tool, write_policy

STORM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "connection_storm.py")


def policy(idle):
    return f'version = 1\n[defaults]\nkeepalive = true\nidle = "{idle}s"\ninterval = "7s"\ncount = 4\nuser_timeout = "5s"\n'


class ReplaceTest(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_every_socket_has_the_old_or_the_new_policy(self):
        a = write_policy(self.dir.name, "a.toml", policy(11))
        b = write_policy(self.dir.name, "b.toml", policy(22))
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(512)
        self.addCleanup(server.close)

        def accept():
            while True:
                try:
                    server.accept()[0].close()
                except OSError:
                    return

        threading.Thread(target=accept, daemon=True).start()
        with Cgroup() as cg:
            cg.attach(self, a)
            proc = cg.start(["python3", STORM, str(server.getsockname()[1]), "20"], stdin=subprocess.PIPE)
            self.assertEqual(proc.stdout.readline(), "storming\n")
            replacements = 0
            for i in range(20):
                cg.attach(self, b if i % 2 == 0 else a, expect="replaced")
                replacements += 1
            out, err = proc.communicate("", timeout=60)
            self.assertEqual(proc.returncode, 0, err)
        seen = {tuple(values): n for values, n in json.loads(out)}
        self.assertEqual(replacements, 20)
        self.assertLessEqual(set(seen), {(1, 11, 7, 4, 5000), (1, 22, 7, 4, 5000)}, seen)
        self.assertGreater(sum(seen.values()), 200, seen)

    def test_a_concurrent_attach_is_refused(self):
        p = write_policy(self.dir.name, "p.toml", policy(11))
        with Cgroup() as cg:
            cg.attach(self, p)
            pin_dir = os.path.join(mount_of("bpf"), "tcpkeep", str(os.stat(cg.directory).st_ino))
            held = os.open(pin_dir, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(held, fcntl.LOCK_EX)  # as another tcpkeep in the middle of its work
                for args in (["attach", "--policy", p, "--cgroup", cg.path], ["detach", "--cgroup", cg.path]):
                    r = tool(*args)
                    verb = args[0]
                    self.assertEqual((r.returncode, r.stdout, r.stderr),
                                     (2, "", f"tcpkeep: cannot {verb} {'to' if verb == 'attach' else 'from'} cgroup {cg.path}: cgroup "
                                             f"{cg.path}: another tcpkeep is attaching or detaching there right now; try again\n"))
            finally:
                os.close(held)
            listed = tool("attached").stdout
            self.assertIn(f"{cg.path}\tpolicy {p} (0 rules", listed)


if __name__ == "__main__":
    main()
