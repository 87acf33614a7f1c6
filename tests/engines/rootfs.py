"""The setup step of the engine tests' `engines_rootfs` fixture: the Debian root file system they
boot (systemd-nspawn) and import (docker), built with mmdebstrap unless the cache already holds
one made from the same package list (engines.py: SUITE, VARIANT, PACKAGES), then removes the
cached ones made from other lists that no test uses now. Prints its path and what it removed.
Where the tests cannot run it does nothing (they skip, or fail under TCPKEEP_REQUIRE_NETNS=1)."""
import time

import engines

if __name__ == "__main__" and engines.setup_can_run("rootfs.py", "mmdebstrap"):
    started = time.monotonic()
    path = engines.build_rootfs()
    print(f"{path} ({time.monotonic() - started:.1f} s)")
    for old in engines.prune_rootfs(path):
        print(f"removed {old}")
