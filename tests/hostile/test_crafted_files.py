"""Issue 25, attack 2: a user's process maps files made to cost root's tool hours of CPU or
gigabytes of memory.

- A sparse 4 MB file named libtcpkeep.so, mapped by the process, whose 65,535 section headers each
  name a 64 MiB dynamic symbol table at offset 0: root's tool used to read and scan every table
  (200 sections already took 22 s). Now only the first dynamic symbol table is read, and no table
  larger than a few MiB.
- Tens of thousands of mappings with 3,500-byte paths (about 100 MB of /proc/PID/maps), which root's
  tool used to read whole (370 MB of memory for 125 MB of maps). Now maps is read in pieces, in
  constant memory, and a process whose maps pass 64 MiB (no real process's do) is not inspected."""
import os
import struct
import subprocess
import threading
import time

from hostile import TOOL, TOOL_BOUND_S, Attacker, environment, main, unittest

SHT_DYNSYM = 11


def crafted_elf(path, sections=65535, table_bytes=64 << 20):
    """A 64-bit ELF header and `sections` section headers, each a dynamic symbol table of
    `table_bytes` at offset 0 (the file is sparse: a few MB on disk)."""
    shoff = 4096
    with open(path, "wb") as f:
        ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        f.write(ident + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64, sections, 0))
        f.seek(shoff)
        header = struct.pack("<IIQQQQIIQQ", 1, SHT_DYNSYM, 0, 0, 0, table_bytes, 0, 0, 8, 24)
        f.write(header * sections)
        f.truncate(table_bytes)  # a hole up to the tables' end: every table is there to be read


def make_long_path(attacker):
    """A one-page file of nobody's at a path of ~3,500 bytes: 14 directories of 240 characters
    (NAME_MAX is 255)."""
    directory = attacker.home
    for i in range(14):
        directory = os.path.join(directory, f"{i:02d}" + "d" * 238)
    os.makedirs(directory)
    target = os.path.join(directory, "mapped")
    with open(target, "wb") as f:
        f.write(b"\0" * 4096)
    subprocess.run(["chown", "-R", "nobody:nogroup", attacker.home], check=True)
    return target


def peak_memory_kib(cmd):
    """Runs cmd; returns (exit status, its peak resident memory in KiB, seconds it took, its stderr)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(TOOL_BOUND_S, proc.kill)  # the attacks made the tool run for hours
    watchdog.start()
    errors = proc.stderr.read()
    watchdog.cancel()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, time.monotonic() - started, errors


class CraftedFiles(unittest.TestCase):
    def test_section_headers_naming_huge_symbol_tables(self):
        attacker = Attacker(self)
        library = attacker.path("libtcpkeep.so")
        crafted_elf(library)
        os.chown(library, 65534, 65534)
        process = attacker.start("--map", library, env=environment())
        # The bound is the tool's whole run (well under a second now; hours before).
        status, _, seconds, _ = peak_memory_kib([TOOL, "verify", "--pid", str(process.pid), "--json"])
        self.assertEqual(status, 2, "a file named like the shim that is not one is a shim of another version: exit 2")
        self.assertLess(seconds, TOOL_BOUND_S)
        r = subprocess.run([TOOL, "verify", "--pid", str(process.pid)], capture_output=True, text=True, timeout=60)
        self.assertIn("is a shim of another version", r.stderr)

    def test_maps_of_a_hundred_megabytes(self):
        attacker = Attacker(self)
        target = make_long_path(attacker)
        mappings = 32000
        process = attacker.start("--many-maps", target, str(mappings), env=environment())
        with open(f"/proc/{process.pid}/maps", "rb") as f:
            size = sum(len(chunk) for chunk in iter(lambda: f.read(1 << 20), b""))
        self.assertGreater(size, 100 << 20, "the attack needs maps of over 100 MB")
        status, peak_kib, seconds, errors = peak_memory_kib([TOOL, "verify", "--pid", str(process.pid), "--json"])
        self.assertEqual(status, 2, f"{seconds:.1f} s: {errors}")
        self.assertIn(f"process {process.pid}: not inspected: its list of mappings (/proc/{process.pid}/maps) is larger than 64 MiB", errors)
        # The tool's own size is a few MB; the maps are never held whole.
        self.assertLess(peak_kib, 64 << 10, f"root's tool used {peak_kib} KiB for {size} bytes of maps")


if __name__ == "__main__":
    main()
