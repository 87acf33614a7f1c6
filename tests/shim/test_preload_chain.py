"""The shim finds the next definition of each hooked call itself (shim/next_definition.cpp) instead
of asking dlsym(RTLD_NEXT): it must find the same one. Another preload after ours must see every
call we pass on (the program's and our own setsockopt calls), one before ours must see the
program's calls and not ours, and with eager binding (no link map in the GOT) dlsym answers."""
import os
import re
import unittest

from tcpkeep_test import EMBEDDED_DEFAULT, SHIM, Listener, main, parse_values, preload_with, run_probe

COUNTER = os.environ.get("TCPKEEP_COUNTING_PRELOAD", "")


def run(preload, port, **extra):
    lines, stderr = run_probe(["socket", "inet", "stream", "connect", "127.0.0.1", port, "show", "close"], LD_PRELOAD=preload, **extra)
    counted = re.search(r"counted socket=(\d+) connect=(\d+) setsockopt=(\d+) close=(\d+)", stderr)
    counts = dict(zip(("socket", "connect", "setsockopt", "close"), map(int, counted.groups()))) if counted else None
    return lines, counts, stderr


class PreloadChain(unittest.TestCase):
    def check_applied(self, lines):
        self.assertEqual(lines[0], "socket fd=3 errno=0")
        self.assertEqual(lines[1], "connect rc=0 errno=0")
        self.assertEqual(parse_values(lines[2]), EMBEDDED_DEFAULT)
        self.assertEqual(lines[3], "close rc=0 errno=0")

    def counts_through(self, preload, **extra):
        with Listener() as l:
            lines, counts, _ = run(preload, l.port, **extra)
        self.check_applied(lines)
        return counts

    def test_a_preload_after_ours_sees_every_call_we_pass_on(self):
        counts = self.counts_through(preload_with(SHIM, COUNTER))
        # The program's socket and connect, and our five setsockopt calls, all through it; close
        # also counts the engine's own (reading /proc/sys for the kernel's defaults).
        self.assertEqual((counts["socket"], counts["connect"], counts["setsockopt"]), (1, 1, 5))
        self.assertGreaterEqual(counts["close"], 1)
        # Exactly what it sees when dlsym(RTLD_NEXT) finds the next definitions (eager binding).
        self.assertEqual(counts, self.counts_through(preload_with(SHIM, COUNTER), LD_BIND_NOW="1"))

    def test_a_preload_before_ours_sees_the_programs_calls_only(self):
        counts = self.counts_through(preload_with(COUNTER, SHIM))
        self.assertEqual((counts["socket"], counts["connect"], counts["setsockopt"]), (1, 1, 0))
        self.assertEqual(counts, self.counts_through(preload_with(COUNTER, SHIM), LD_BIND_NOW="1"))

    def test_dlsym_is_not_asked_when_binding_is_lazy(self):
        # The loader reports every binding dlsym makes; with lazy binding the shim makes none for
        # its hooks (with LD_BIND_NOW it must: that is the fallback above, seen from the loader).
        def shim_bindings(**extra):
            with Listener() as l:
                _, _, err = run(preload_with(SHIM), l.port, LD_DEBUG="bindings", **extra)
            shim_name = os.path.basename(SHIM)
            return {m.group(1) for m in re.finditer(r"binding file \S*" + re.escape(shim_name) + r" \[0\] to \S+ \[0\]: normal symbol `(\w+)'", err)}

        hooks = {"socket", "connect", "setsockopt", "close"}
        self.assertEqual(shim_bindings() & hooks, set())
        self.assertEqual(shim_bindings(LD_BIND_NOW="1") & hooks, {"socket", "connect", "setsockopt", "close"})


if __name__ == "__main__":
    main()
