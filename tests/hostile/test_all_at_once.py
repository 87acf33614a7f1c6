"""Issue 25: every attack alive at once, and a whole-host audit beside them.

Root's `audit --json` must finish in seconds, and classify every other process exactly as it did
before the attackers started: the hostile processes cost the audit their own entry at most."""
import json
import os
import subprocess
import time

from hostile import HOLD_STATIC, SHIM, TOOL, Attacker, environment, main, root_only_file, unittest
from test_crafted_files import crafted_elf, make_long_path

HOLD = os.environ.get("TCPKEEP_HOLD", "")
KEYS = ("pid", "user", "executable", "coverage", "sockets", "verify")  # what stays put from one audit to the next


def classified(report, pids):
    return {p["pid"]: {k: p[k] for k in KEYS} for p in report["processes"] if p["pid"] in pids}


class AllAttacksAtOnce(unittest.TestCase):
    def audit(self):
        started = time.monotonic()
        r = subprocess.run([TOOL, "audit", "--json"], capture_output=True, text=True, timeout=120)
        seconds = time.monotonic() - started
        self.assertGreaterEqual(r.returncode, 0, r.stderr)
        self.assertIn(r.returncode, (0, 1, 2), r.stderr)
        return json.loads(r.stdout), seconds

    def start_bystanders(self):
        """Root's processes a host has: one under the shim, one without, one static."""
        pids = set()
        for cmd, env in (([HOLD, "4"], environment(LD_PRELOAD=SHIM)), ([HOLD, "6"], environment()), ([HOLD_STATIC, "4"], environment())):
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
            self.addCleanup(proc.wait)
            self.addCleanup(proc.kill)
            self.assertTrue(proc.stdout.readline().startswith("ready"))
            pids.add(proc.pid)
        return pids

    def start_attacks(self):
        attacker = Attacker(self)
        fifo_preload = attacker.path("fifo", "libtcpkeep.so")
        attacker.run("mkdir", attacker.path("fifo"))
        hostile = [attacker.start(env=environment(LD_PRELOAD=fifo_preload))]
        attacker.run("mkfifo", fifo_preload)
        elf = attacker.path("libtcpkeep.so")
        crafted_elf(elf)
        os.chown(elf, 65534, 65534)
        hostile.append(attacker.start("--map", elf, env=environment()))
        long_path = make_long_path(attacker)
        hostile.append(attacker.start("--many-maps", long_path, "32000", env=environment()))
        hostile.append(attacker.start(env=environment(TCPKEEP_POLICY=root_only_file(self, "secret_marker = [\n"))))
        hostile.append(attacker.start(env=environment(TCPKEEP_POLICY="/proc/kmsg")))
        hostile.append(attacker.start("--comm", "\x1b]0;x\x07\n", env=environment(LD_PRELOAD="/x\n  1 root ok /usr/sbin/sshd\x1b[2J")))
        return {p.pid for p in hostile}

    def test_audit_finishes_and_classifies_the_rest_as_before(self):
        bystanders = self.start_bystanders()
        before, _ = self.audit()
        hostile = self.start_attacks()
        after, seconds = self.audit()
        self.assertLess(seconds, 60, "the audit must finish in seconds with every attack alive")
        self.assertEqual(classified(after, bystanders), classified(before, bystanders))
        self.assertEqual(len(classified(after, bystanders)), len(bystanders), "every bystander is still classified")
        seen = {p["pid"] for p in after["processes"]} | {n["pid"] for n in after["not_inspected"]}
        self.assertLessEqual(hostile, seen, "every attacker is listed, inspected or not")
        print(f"audit with every attack alive: {seconds:.2f} s", flush=True)


if __name__ == "__main__":
    main()
