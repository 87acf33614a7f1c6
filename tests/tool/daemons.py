"""Real servers for the tool tests: a free loopback port, waiting for a listener, a program the
test scripts install, and a daemon started under the shim."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from host import free_port, stop_process  # noqa: F401 (free_port: for the tests importing it from here)
from tooltest import target_env


def policy_in_temp_dir(test, text):
    """A directory for one test, removed after it, holding policy.toml with `text`; (directory, policy path)."""
    directory = tempfile.mkdtemp()
    test.addCleanup(shutil.rmtree, directory, True)
    policy = os.path.join(directory, "policy.toml")
    with open(policy, "w") as f:
        f.write(text)
    return directory, policy




def wait_for_port(port, proc, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def require_program(test, name):
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if path:
        return path
    if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
        test.fail(f"{name} is not installed (scripts/lib/common.sh installs it)")
    test.skipTest(f"needs {name}")


class Daemon:
    """A real server started under the shim with TCPKEEP_POLICY, killed at the end."""

    def __init__(self, test, cmd, policy_path, port):
        self.proc = subprocess.Popen(cmd, env=target_env(preload=True, policy=policy_path), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        test.addCleanup(self.stop)
        self.client = wait_for_port(port, self.proc)
        test.addCleanup(self.client.close)
        self.pid = self.proc.pid

    def stop(self):
        stop_process(self.proc)
        self.proc.stderr.close()
