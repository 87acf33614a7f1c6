"""tcpkeep run finds CMD once, by execvp's rules, and executes that very file: its warning about a
static program names the file that runs, and no other. PATH unset means confstr(_CS_PATH)
("/bin:/usr/bin"), an empty PATH entry the current directory."""
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from tooltest import HOLD, HOLD_STATIC, SHIM, TOOL, main, require_root, target_env


def static_warning(path, pid):
    return (f"tcpkeep: {path} is statically linked: the shim cannot load into it; "
            f"set its sockets with `tcpkeep apply --pid {pid}` once it runs\n")


def run_hold(name, env, cwd=None):
    """`tcpkeep run --no-cgroup -- NAME 4` (exec'd in place, never in a transient cgroup): the executable the process runs, whether the shim is mapped, its pid
    and tcpkeep's stderr."""
    with tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen([TOOL, "run", "--no-cgroup", "--", name, "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=err, text=True, env=env, cwd=cwd)
        try:
            line = p.stdout.readline()
            if not line.startswith("ready "):
                raise AssertionError(f"{name} did not start: {line!r}")
            exe = os.readlink(f"/proc/{p.pid}/exe")
            with open(f"/proc/{p.pid}/maps") as f:
                shim_mapped = SHIM in f.read()
        finally:
            p.stdin.close()
            p.wait(timeout=10)
            p.stdout.close()
        err.seek(0)
        return exe, shim_mapped, p.pid, err.read()


def without_path(**extra):
    env = target_env(policy=None, **extra)
    env.pop("PATH", None)
    return env


def install(source, path, mode=0o755):
    shutil.copyfile(source, path)
    os.chmod(path, mode)


class RunPath(unittest.TestCase):
    def setUp(self):
        self.name = f"tcpkeep-run-path-test-{os.getpid()}"
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def in_system_dir(self, directory, source):
        """A copy of `source` as /usr/bin/NAME or /usr/local/bin/NAME, removed after the test."""
        require_root(self)
        path = os.path.join(directory, self.name)
        install(source, path)
        self.addCleanup(os.unlink, path)
        return path

    def test_unset_path_searches_execvps_default(self):
        # /usr/local/bin is not in execvp's default path: its static copy is neither run nor named.
        self.in_system_dir("/usr/local/bin", HOLD_STATIC)
        self.in_system_dir("/usr/bin", HOLD)
        exe, shim_mapped, _, err = run_hold(self.name, without_path())
        self.assertEqual((exe, shim_mapped, err), (f"/usr/bin/{self.name}", True, ""))

    def test_unset_path_names_the_static_file_that_runs(self):
        self.in_system_dir("/usr/local/bin", HOLD)
        self.in_system_dir("/usr/bin", HOLD_STATIC)
        exe, shim_mapped, pid, err = run_hold(self.name, without_path())
        # "/bin" comes first in "/bin:/usr/bin"; on a merged-/usr system it is /usr/bin.
        self.assertEqual(exe, os.path.realpath(f"/bin/{self.name}"))
        self.assertEqual((shim_mapped, err), (False, static_warning(f"/bin/{self.name}", pid)))

    def test_first_executable_entry_of_path(self):
        first, later = os.path.join(self.dir, "first"), os.path.join(self.dir, "later")
        os.mkdir(first)
        os.mkdir(later)
        install(HOLD, os.path.join(later, self.name))
        env = target_env(policy=None, PATH=f"{first}:{later}")
        for what, make in (("nothing", lambda p: None), ("a directory", os.mkdir),
                           ("a static copy without x permission", lambda p: install(HOLD_STATIC, p, 0o644))):
            with self.subTest(first_holds=what):
                make(os.path.join(first, self.name))
                exe, shim_mapped, _, err = run_hold(self.name, env)
                self.assertEqual((exe, shim_mapped, err), (os.path.join(later, self.name), True, ""))
                if os.path.isdir(os.path.join(first, self.name)):
                    os.rmdir(os.path.join(first, self.name))
        install(HOLD_STATIC, os.path.join(first, self.name))
        exe, shim_mapped, pid, err = run_hold(self.name, env)
        self.assertEqual((exe, shim_mapped), (os.path.join(first, self.name), False))
        self.assertEqual(err, static_warning(os.path.join(first, self.name), pid))

    def test_empty_entry_is_the_current_directory(self):
        later = os.path.join(self.dir, "later")
        os.mkdir(later)
        install(HOLD, os.path.join(later, self.name))
        cwd = os.path.join(self.dir, "cwd")
        os.mkdir(cwd)
        install(HOLD_STATIC, os.path.join(cwd, self.name))
        exe, shim_mapped, pid, err = run_hold(self.name, target_env(policy=None, PATH=f":{later}"), cwd=cwd)
        self.assertEqual((exe, shim_mapped), (os.path.join(cwd, self.name), False))
        self.assertEqual(err, static_warning(self.name, pid))

    def test_not_found_and_not_executable(self):
        r = subprocess.run([TOOL, "run", "--", self.name], capture_output=True, text=True, env=without_path(), timeout=60)
        self.assertEqual((r.returncode, r.stderr), (127, f"tcpkeep: cannot run {self.name}: No such file or directory\n"))
        install(HOLD, os.path.join(self.dir, self.name), 0o644)
        for env in (target_env(policy=None, PATH=self.dir), target_env(policy=None, PATH=f"{self.dir}:/nonexistent")):
            r = subprocess.run([TOOL, "run", "--", self.name], capture_output=True, text=True, env=env, timeout=60)
            self.assertEqual((r.returncode, r.stderr), (126, f"tcpkeep: cannot run {self.name}: Permission denied\n"))

    def test_script_without_interpreter_line_runs_in_sh(self):
        script = os.path.join(self.dir, self.name)
        with open(script, "w") as f:
            f.write('printf "%s|%s" "$0" "$1"\n')
        os.chmod(script, stat.S_IRWXU)
        r = subprocess.run([TOOL, "run", "--", self.name, "an arg"], capture_output=True, text=True,
                           env=target_env(policy=None, PATH=self.dir), timeout=60)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"{script}|an arg", ""))


if __name__ == "__main__":
    main()
