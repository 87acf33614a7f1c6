"""The setup step of the engine tests' `engines_rootfs` fixture: the Debian root file system they
boot (systemd-nspawn) and import (docker), built with mmdebstrap unless the cache already holds
one made from the same package list (engines.py: SUITE, VARIANT, PACKAGES). Prints its path.
Where the tests cannot run it does nothing (they skip, or fail under TCPKEEP_REQUIRE_NETNS=1)."""
import os
import sys
import time

import engines

if __name__ == "__main__":
    reason = engines.missing_engines("mmdebstrap")
    if reason:
        if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
            sys.exit(f"rootfs.py: {reason} (TCPKEEP_REQUIRE_NETNS=1 makes that a failure)")
        print(f"no root file system: {reason}")
        sys.exit(0)
    started = time.monotonic()
    path = engines.build_rootfs()
    print(f"{path} ({time.monotonic() - started:.1f} s)")
