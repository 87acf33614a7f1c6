"""Builds the tests' Go client (go_client/main.go) with Debian's golang-go: with cgo, dynamically
linked (the shim loads into it but sees none of its connections); without, statically linked."""
import os
import shutil
import subprocess

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go_client", "main.go")


def build_go_client(test, directory, cgo):
    """The client's path in `directory`; fails (TCPKEEP_REQUIRE_NETNS=1) or skips without go."""
    go = shutil.which("go")
    if go is None:  # scripts/lib/common.sh installs golang-go
        if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
            test.fail("go is not installed (TCPKEEP_REQUIRE_NETNS=1)")
        test.skipTest("go is not installed")
    program = os.path.join(directory, "go_client_cgo" if cgo else "go_client_static")
    env = dict(os.environ, CGO_ENABLED="1" if cgo else "0", GO111MODULE="off", HOME=directory, GOPATH=os.path.join(directory, "gopath"),
               GOCACHE=os.environ.get("TCPKEEP_GO_CACHE", os.path.join(directory, "go-cache")))
    env.pop("LD_PRELOAD", None)
    subprocess.run([go, "build", "-o", program, SOURCE], check=True, env=env, timeout=300, capture_output=True)
    return program
