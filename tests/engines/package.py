"""The setup step of the engine tests' `engines_package` fixture: the Debian package as README
"Install" makes it, from a build of its own configured for /usr (the paths the tool and the engine
compile in are those the package installs), building only what the package holds, niced.
Without -g: the package is stripped (cmake/packaging.cmake), so debug information would be
produced only to be thrown away; the optimisation and the code are those of the default build
(RelWithDebInfo: -O2 -DNDEBUG), and debug information costs about a third of the compile time.
Where the engine tests cannot run it does nothing (they skip, or fail under TCPKEEP_REQUIRE_NETNS=1).
  package.py CMAKE CPACK SOURCE_DIR BUILD_DIR OUT_DIR   ->   OUT_DIR/tcpkeep_<version>_<arch>.deb"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy"))
import engines  # noqa: E402
import stage  # noqa: E402  (tests/deploy: cpack into an empty directory)

PACKAGED_TARGETS = ("tcpkeep", "tcpkeep_shim", "tcpkeep_engine")
RELEASE_FLAGS = "-O2 -DNDEBUG"  # RelWithDebInfo's, less -g


def run(*argv):
    """argv at low priority (the build shares the machine with running tests); its output only if it fails."""
    r = subprocess.run(["nice", "-n", "10", *argv], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout[-20000:]}{r.stderr[-20000:]}")


def main(cmake, cpack, source, build, out):
    run(cmake, "-S", source, "-B", build, "-DCMAKE_INSTALL_PREFIX=/usr", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
        f"-DCMAKE_C_FLAGS_RELWITHDEBINFO={RELEASE_FLAGS}", f"-DCMAKE_CXX_FLAGS_RELWITHDEBINFO={RELEASE_FLAGS}",
        "-DTCPKEEP_BUILD_TESTS=OFF", "-DTCPKEEP_BUILD_BENCH=OFF")
    run(cmake, "--build", build, "-j", str(os.cpu_count()), *[a for t in PACKAGED_TARGETS for a in ("--target", t)])
    stage.main("package", cpack, build, out)


if __name__ == "__main__" and engines.setup_can_run("package.py"):
    main(*sys.argv[1:])
