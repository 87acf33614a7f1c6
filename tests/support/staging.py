"""Copies of build-tree files for the users a test switches to.

A test that runs something as another user (nobody, a setuid program) cannot hand it paths in the
build tree: a clone can live in a directory only its owner may enter (a home directory, `mktemp -d`),
and then the other user can neither execute the programs nor read the shim, which ld.so then drops
with "cannot be preloaded ... ignored". StagedFiles copies what that user needs into a fresh
directory under /tmp with mode 0755 and removes it afterwards. The shim is always staged with its
engine (libtcpkeep-engine.so), which it loads from its own directory; the engine's path comes from
TCPKEEP_ENGINE, set by ctest.
"""
import os
import shutil
import tempfile


class StagedFiles:
    """A directory every user can read, holding copies made with copy() and shim()."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tcpkeep-test-", dir="/tmp")
        os.chmod(self.dir, 0o755)

    def subdir(self, name):
        """A directory in the staging directory ("a" or "a/b", made on first use), each level mode 0755."""
        path = self.dir
        for part in name.split("/"):
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                os.mkdir(path)
                os.chmod(path, 0o755)  # whatever the umask
        return path

    def copy(self, source, name=None, mode=None, into=None):
        """Copies source (its mode too, unless mode is given) as name (default: its own name) into
        the staging directory or its subdirectory `into`; returns the copy's path."""
        directory = self.subdir(into) if into else self.dir
        path = os.path.join(directory, name or os.path.basename(source))
        shutil.copy(source, path)
        if mode is not None:
            os.chmod(path, mode)
        return path

    def shim(self, shim, mode=None, into=None):
        """Copies the shim, and its engine beside it; returns the shim's path."""
        engine = os.environ.get("TCPKEEP_ENGINE", "")
        if not engine:
            raise RuntimeError("set TCPKEEP_ENGINE, the path of libtcpkeep-engine.so (ctest does)")
        self.copy(engine, into=into)
        return self.copy(shim, mode=mode, into=into)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def staged_for(test):
    """A StagedFiles removed when the test ends."""
    staged = StagedFiles()
    test.addCleanup(staged.close)
    return staged
