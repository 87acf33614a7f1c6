"""Files that cannot be a policy, asserted three ways like the fixtures (see bad_policy.py): too
large, nested too deep, a directory, missing, unreadable, a FIFO, a device, a symlink loop. None may
hang the program or make it read without bound."""
import os
import unittest

from bad_policy import Expected, as_nobody, assert_three_ways
from staging import staged_for
from tcpkeep_test import main, require_root

NOT_REGULAR = Expected("policy is not a regular file")


class BadFiles(unittest.TestCase):
    def setUp(self):
        self.dir = staged_for(self).dir  # nobody can reach it (test_unreadable)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_ten_megabytes_refused_before_reading(self):
        path = self.path("big.toml")
        with open(path, "w") as f:
            f.write("version = 1\n" + "#" * (10 * 1024 * 1024 - 13) + "\n")
        assert_three_ways(self, path, Expected("policy is too large (10485760 bytes; the limit is 4194304 bytes)"))

    def test_four_megabytes_of_dotted_key(self):
        # Under the size limit, two million levels deep: enough to overflow the stack inside toml++.
        path = self.path("deep.toml")
        with open(path, "w") as f:
            f.write("version = 1\nx" + ".a" * 2_000_000 + " = 1\n")
        assert_three_ways(self, path, Expected("nested deeper than 16 levels of tables, arrays and dotted keys "
                                               "(a policy needs at most 4)", "2:32"))

    def test_directory(self):
        assert_three_ways(self, self.dir, Expected("policy is a directory, not a file"))

    def test_missing(self):
        assert_three_ways(self, self.path("missing.toml"), Expected("cannot open policy: No such file or directory"))

    def test_symlink_loop(self):
        os.symlink("loop.toml", self.path("loop.toml"))
        assert_three_ways(self, self.path("loop.toml"), Expected("cannot open policy: Too many levels of symbolic links"))

    def test_fifo_without_writer(self):
        os.mkfifo(self.path("fifo.toml"))
        assert_three_ways(self, self.path("fifo.toml"), NOT_REGULAR)

    def test_fifo_with_a_writer_that_never_writes(self):
        fifo = self.path("fifo.toml")
        os.mkfifo(fifo)
        self.addCleanup(os.close, os.open(fifo, os.O_RDWR))  # a writer: reading would wait for data forever
        assert_three_ways(self, fifo, NOT_REGULAR)

    def test_dev_zero_and_a_symlink_to_it(self):
        assert_three_ways(self, "/dev/zero", NOT_REGULAR)  # endless: a read would never stop
        os.symlink("/dev/zero", self.path("zero.toml"))
        assert_three_ways(self, self.path("zero.toml"), NOT_REGULAR)

    def test_unreadable(self):
        # root reads any file whatever its mode; a file only root may read, opened as nobody, cannot be.
        require_root(self)
        path = self.path("secret.toml")
        with open(path, "w") as f:
            f.write("version = 1\n")
        os.chmod(path, 0o600)
        assert_three_ways(self, path, Expected("cannot open policy: Permission denied"), as_nobody(self))


if __name__ == "__main__":
    main()
