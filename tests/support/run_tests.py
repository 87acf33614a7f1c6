"""Runs one Python unittest file as one ctest entry, with output that names what failed.

    run_tests.py FILE [-k PATTERN]...

Each method is printed as it runs ("test_x (module.Class.test_x) ... ok"), each failure with its
traceback under "FAIL: test_x (module.Class.test_x)", and the last line lists the failing methods
(subtests with their parameters), or says how many passed and which were skipped; the line before
it names the slowest methods. -k keeps the methods whose full name (module.Class.method) contains
PATTERN.

ctest kills an entry at its TIMEOUT and says nothing about what was running. With
TCPKEEP_TEST_TIMEOUT set to that TIMEOUT (tcpkeep_python_test in tests/CMakeLists.txt sets both),
this runner stops first, at 90 % of it (at least 3 s earlier): it names the method still running,
prints every thread's stack, kills the processes the tests started and exits 1.
"""
import argparse
import faulthandler
import importlib.util
import os
import signal
import sys
import threading
import time
import unittest

SLOWEST_SHOWN = 3


def load_module(path):
    """Imports the test file under its own name (so tests are named module.Class.method), with its
    directory first on sys.path as when it is run as a script."""
    path = os.path.abspath(path)
    name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class NamingResult(unittest.TextTestResult):
    """Remembers the method running now and how long each took."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = None
        self.started = 0.0
        self.durations = []

    def startTest(self, test):
        self.current, self.started = test, time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        self.durations.append((time.monotonic() - self.started, test.id()))
        self.current = None
        super().stopTest(test)


def summary(result, timed_out=None):
    """The last lines: the slowest methods, then the failing ones (or what passed and was skipped)."""
    lines = []
    slowest = sorted(result.durations, reverse=True)[:SLOWEST_SHOWN]
    if slowest:
        lines.append("slowest: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in slowest))
    failing = [test.id() for test, _ in result.failures + result.errors]
    failing += [test.id() for test in result.unexpectedSuccesses]
    if timed_out is not None:
        failing.append(f"{timed_out.id()} (timed out)")
    skipped = [test.id() for test, _ in result.skipped]
    if failing:
        lines.append(f"FAILED {len(failing)} of {result.testsRun}: " + ", ".join(dict.fromkeys(failing)))
    else:
        lines.append(f"OK: {result.testsRun - len(skipped)} passed" +
                     (f", {len(skipped)} skipped: {', '.join(skipped)}" if skipped else ""))
    return "\n".join(lines) + "\n"


def descendants(pid):
    """Every process below pid, read from /proc (children started in other namespaces included)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])  # after "pid (comm) state"
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def stop_before_ctest(result, stream, ctest_timeout, started):
    """Reports the method still running, every thread's stack, the failures so far and the summary,
    then ends this process and the processes it started."""
    running, now = result.current, time.monotonic()
    name = f"{running.id()} still running after {now - result.started:.0f} s" if running else "between two methods"
    stream.write(f"\nTIMEOUT: {name}, {now - started:.0f} s into the run; this entry's ctest TIMEOUT "
                 f"is {ctest_timeout:g} s. Stacks:\n")
    stream.flush()
    faulthandler.dump_traceback(file=stream, all_threads=True)
    result.printErrors()
    stream.write(summary(result, timed_out=running))
    stream.flush()
    # The test may go on for a moment once its processes are gone: nothing more of it reaches the log.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    for pid in descendants(os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


class Runner(unittest.TextTestRunner):
    """unittest's verbose runner with NamingResult and, given ctest's TIMEOUT, a watchdog."""

    resultclass = NamingResult

    def __init__(self, ctest_timeout):
        super().__init__(stream=sys.stderr, verbosity=2)
        self.ctest_timeout = ctest_timeout
        self.watchdog = None

    def _makeResult(self):
        result = super()._makeResult()
        if self.ctest_timeout > 0:
            deadline = min(0.9 * self.ctest_timeout, self.ctest_timeout - 3)
            self.watchdog = threading.Timer(deadline, stop_before_ctest,
                                            (result, self.stream, self.ctest_timeout, time.monotonic()))
            self.watchdog.daemon = True
            self.watchdog.start()
        return result


def run(module, patterns=()):
    """Runs the module's tests; returns the process exit status."""
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = [f"*{p}*" for p in patterns]
    runner = Runner(float(os.environ.get("TCPKEEP_TEST_TIMEOUT", "0")))
    result = runner.run(loader.loadTestsFromModule(module))
    if runner.watchdog is not None:
        runner.watchdog.cancel()
    runner.stream.write(summary(result))
    runner.stream.flush()
    return 0 if result.wasSuccessful() else 1


def main(argv, module=None):
    """run_tests.py FILE [-k PATTERN]...; with module (a test file run as a script): [-k PATTERN]..."""
    parser = argparse.ArgumentParser(description="Runs unittest tests; the last line names the failing methods.")
    if module is None:
        parser.add_argument("file")
    parser.add_argument("-k", dest="patterns", action="append", default=[], metavar="PATTERN",
                        help="only the methods whose full name (module.Class.method) contains PATTERN")
    args = parser.parse_args(argv)
    return run(module or load_module(args.file), args.patterns)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
