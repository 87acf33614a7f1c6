"""Makes what the deploy tests inspect, once per ctest run (the setup steps of two ctest fixtures):
  stage.py install CMAKE BUILD ROOT    DESTDIR=ROOT cmake --install BUILD --strip, into an empty ROOT
  stage.py package CPACK BUILD OUTDIR  the .deb (cpack -G DEB), into an empty OUTDIR"""
import os
import shutil
import subprocess
import sys


def fresh(directory):
    shutil.rmtree(directory, ignore_errors=True)  # a leftover policy would not be installed again
    os.makedirs(directory)


def main(kind, command, build, out):
    fresh(out)
    if kind == "install":
        cmd, env = [command, "--install", build, "--strip"], dict(os.environ, DESTDIR=out)
    elif kind == "package":
        cmd, env = [command, "--config", os.path.join(build, "CPackConfig.cmake"), "-G", "DEB", "-B", out], None
    else:
        raise SystemExit(f"stage.py: unknown kind {kind}")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")


if __name__ == "__main__":
    main(*sys.argv[1:])
