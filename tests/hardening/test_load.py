"""Load: 64 threads x 5,000 connect+accept under the shim (connect_storm.c), every connection's two
ends read back with getsockopt: zero failures, outbound and inbound each with their own rule's
values, and the program's own TCP_KEEPIDLE (every 7th connection) kept. About 10 s on 2 idle cores,
20-40 s when they are busy (other tests beside it under ctest -j2, other work on the machine); the
storm is given 180 s, and the ctest entry 240 s, for sanitizer builds."""
import os
import re
import subprocess
import unittest

from tcpkeep_test import PolicyFile, main, shim_env

CONNECT_STORM = os.environ.get("TCPKEEP_CONNECT_STORM", "")
POLICY = """version = 1
[[rule]]
direction = "outbound"
keepalive = true
idle = "31s"
interval = "11s"
count = 4
user_timeout = "auto"
[[rule]]
direction = "inbound"
keepalive = true
idle = "32s"
interval = "12s"
count = 5
user_timeout = "90s"
"""
OUTBOUND = "1 31 11 4 75000"  # user_timeout auto = 31 + 4 x 11 s
INBOUND = "1 32 12 5 90000"


def storm(threads, per_thread, outbound, inbound):
    with PolicyFile(POLICY) as p:
        return subprocess.run([CONNECT_STORM, str(threads), str(per_thread), "1", outbound, inbound], env=shim_env(p.path),
                              capture_output=True, text=True, timeout=180)


class Load(unittest.TestCase):
    def test_64_threads_5000_connections_each(self):
        r = storm(64, 5000, OUTBOUND, INBOUND)
        self.assertEqual(r.stderr, "")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"^connections=320000 failures=0 mismatches=0 sampled=640000 seconds=[\d.]+ per_second=\d+\n$")
        print(r.stdout, end="")  # the figures, in ctest's log

    def test_the_check_sees_wrong_values(self):
        # The same run told to expect the inbound values outbound: every client end must be reported.
        r = storm(4, 50, INBOUND, INBOUND)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"^connections=200 failures=0 mismatches=200 sampled=400 ")
        self.assertIn("client: 1 31 11 4 75000, expected 1 32 12 5 90000", r.stderr)


if __name__ == "__main__":
    main()
