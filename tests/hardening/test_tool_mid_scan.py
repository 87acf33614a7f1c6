"""`tcpkeep verify` and `apply` when the target changes under the scan: it exits, or closes its
sockets, or closes them and opens others on the same fd numbers. The tool runs under strace, which
delays each pidfd_getfd by half a second; the test acts on the target once the tool is in its first
pidfd_getfd, so the change always falls between /proc's listing and the tool's reading of each socket.
(Without permission, and exited before the scan: tests/tool.)"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

from tcpkeep_test import KERNEL_DEFAULTS, TOOL, main

DEFAULT = [1, 60, 10, 6, 120000]  # the embedded default, as the target reports values
KERNEL = list(KERNEL_DEFAULTS.values())
SYS_PIDFD_GETFD = 438
TARGET = r'''
import json, socket, sys
def values(s):
    return [s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)] + [s.getsockopt(6, o) for o in (4, 5, 6, 18)]
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(8)
held = {"listener": listener, "client": socket.create_connection(listener.getsockname())}
held["accepted"] = listener.accept()[0]
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "close":  # fds 4 and 5 go away
        held.pop("client").close(); held.pop("accepted").close()
    elif line.strip() == "replace":  # ... and come back as other sockets: a TCP one and a UDP one
        held.pop("client").close(); held.pop("accepted").close()
        held["new tcp"] = socket.socket(); held["new udp"] = socket.socket(type=socket.SOCK_DGRAM)
    elif line.strip() == "exit":
        sys.exit(0)
    print(json.dumps({name: values(s) if s.type == socket.SOCK_STREAM else s.fileno() for name, s in held.items()}), flush=True)
'''


class MidScan(unittest.TestCase):
    maxDiff = None
    def setUp(self):
        if shutil.which("strace") is None:
            self.fail("strace is needed (scripts/lib/common.sh installs it)")
        self.target = subprocess.Popen([sys.executable, "-c", TARGET], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_target)
        self.assertEqual(self.target.stdout.readline(), "ready\n")

    def stop_target(self):
        if self.target.poll() is None:
            self.target.kill()
        self.target.wait()
        self.target.stdin.close()
        self.target.stdout.close()

    def tell_target(self, command):
        self.target.stdin.write(command + "\n")
        self.target.stdin.flush()
        return None if command == "exit" else json.loads(self.target.stdout.readline())

    def tool_when_it_holds_the_pidfd(self, command, *args):
        """Runs the tool (pidfd_getfd delayed by strace) against the target; runs `command` on the
        target once the tool is in its first pidfd_getfd. Returns (exit status, stdout, stderr, target's reply)."""
        strace = subprocess.Popen(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=pidfd_getfd",
                                   "-e", "inject=pidfd_getfd:delay_enter=500000", TOOL, *args, "--pid", str(self.target.pid)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for_pidfd(strace)
            reply = self.tell_target(command)
            if command == "exit":
                self.target.wait(timeout=10)
            out, err = strace.communicate(timeout=30)
        finally:
            if strace.poll() is None:
                strace.kill()
                strace.wait()
        return strace.returncode, out, err, reply

    def wait_for_pidfd(self, strace):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self.assertIsNone(strace.poll(), "the tool ended before opening a pidfd")
            for children in glob.glob(f"/proc/{strace.pid}/task/*/children"):  # strace also forks probes of its own
                for pid in open(children).read().split():
                    if self.is_tool_holding_pidfd(pid):
                        return
            time.sleep(0.002)
        self.fail("the tool never called pidfd_getfd")

    @staticmethod
    def is_tool_holding_pidfd(pid):
        try:
            if open(f"/proc/{pid}/cmdline").read().split("\0")[0] != TOOL:
                return False
            links = [os.readlink(fd) for fd in glob.glob(f"/proc/{pid}/fd/*")]
        except OSError:
            return False
        if not any(link == "anon_inode:[pidfd]" or link.startswith("pidfd:") for link in links):  # pidfs since Linux 6.9
            return False
        # The tool opens its pidfd before it reads /proc; the sockets are read with pidfd_getfd, which
        # strace holds at its entry (any of the tool's threads: each process is inspected in one).
        for syscall in glob.glob(f"/proc/{pid}/task/*/syscall"):
            try:
                if open(syscall).read().split(" ")[0] == str(SYS_PIDFD_GETFD):
                    return True
            except OSError:
                continue
        return False

    def test_verify_target_exits(self):
        status, out, err, _ = self.tool_when_it_holds_the_pidfd("exit", "verify")
        self.assertEqual((status, out, err), (2, "", f"tcpkeep: process {self.target.pid}: exited during the scan\n"))

    def test_apply_target_exits(self):
        status, out, err, _ = self.tool_when_it_holds_the_pidfd("exit", "apply")
        self.assertEqual((status, out, err), (2, "", f"tcpkeep: process {self.target.pid}: exited during the scan\n"))

    def test_verify_sockets_closed(self):
        status, out, err, reply = self.tool_when_it_holds_the_pidfd("close", "verify", "--json")
        self.assertEqual((status, err), (1, ""))  # the listener still differs from the policy
        self.assertEqual([s["fd"] for s in json.loads(out)["sockets"]], [3])
        self.assertEqual(reply, {"listener": KERNEL})

    def test_apply_sockets_replaced(self):
        # The new sockets on fds 4 and 5 are not the ones /proc listed: they must stay as the program made them.
        status, out, err, reply = self.tool_when_it_holds_the_pidfd("replace", "apply", "--json")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual([s["fd"] for s in json.loads(out)["sockets"]], [3])
        self.assertEqual(reply, {"listener": KERNEL, "new tcp": KERNEL, "new udp": 5})
        self.assertEqual(self.tell_target("report"), {"listener": DEFAULT, "new tcp": KERNEL, "new udp": 5})


if __name__ == "__main__":
    main()
