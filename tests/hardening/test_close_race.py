"""A thread closes a socket while another connects it (close_race.c, 5,000 times, the close landing
before, during or after the shim's work in connect()): no crash, no deadlock, connect() returns
only what the kernel can say about that race, and the shim says nothing: its setsockopt failing on
an fd the program closed is the program's business, reported by the program's own call."""
import os
import re
import subprocess
import unittest

from tcpkeep_test import main, shim_env

CLOSE_RACE = os.environ.get("TCPKEEP_CLOSE_RACE", "")
ITERATIONS = 5000


class CloseWhileConnecting(unittest.TestCase):
    def test_under_the_shim(self):
        # ThreadSanitizer builds: the race the program makes on purpose is not a finding.
        suppressions = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsan-close-race.supp")
        tsan = ":".join(filter(None, (os.environ.get("TSAN_OPTIONS"), f"suppressions={suppressions}")))
        r = subprocess.run([CLOSE_RACE, str(ITERATIONS)], env=shim_env(log="info", TSAN_OPTIONS=tsan), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # Before the first line: the engine's one info line; nothing else from the shim.
        self.assertRegex(r.stderr, r"^tcpkeep\[\d+\]: policy <embedded default>: 0 active rules\n$")
        m = re.search(r"^connected=(\d+) ebadf=(\d+) other=(\d+)$", r.stdout, re.M)
        connected, ebadf, other = map(int, m.groups())
        self.assertEqual(connected + ebadf + other, ITERATIONS)
        # The listener drops each connection with a reset, which can reach connect() before it returns.
        self.assertEqual(re.findall(r"^errno (\d+) ", r.stdout, re.M), ["104"] * other)  # ECONNRESET
        self.assertGreater(connected, 0)
        self.assertGreater(ebadf, 0)  # the close did land before connect() sometimes


if __name__ == "__main__":
    main()
