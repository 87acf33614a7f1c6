"""Every fixture of tests/fixtures (one file per way a policy can be wrong, first line
"# expect: LINE:COL: message") asserted three ways: `tcpkeep check`, a program under the shim that
stays untouched, and exactly one log line with the same message (see bad_policy.py)."""
import glob
import os
import re
import unittest

from bad_policy import Expected, assert_three_ways
from tcpkeep_test import main

FIXTURES = os.environ.get("TCPKEEP_FIXTURES", "")


def fixtures():
    """(path, Expected) of every invalid fixture, from its header line."""
    found = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.toml"))):
        with open(path, "rb") as f:
            header = f.readline().decode("utf-8").rstrip("\n")
        m = re.fullmatch(r"# expect: (\d+:\d+): (.+)", header)
        if m is None:
            raise AssertionError(f"{path}: first line must be '# expect: LINE:COL: message', is {header!r}")
        found.append((path, Expected(m.group(2), m.group(1))))
    return found


class EveryFixture(unittest.TestCase):
    def test_every_fixture_three_ways(self):
        cases = fixtures()
        self.assertGreaterEqual(len(cases), 60)  # the corpus only grows
        for path, expected in cases:
            with self.subTest(os.path.basename(path)):
                assert_three_ways(self, path, expected)


if __name__ == "__main__":
    main()
