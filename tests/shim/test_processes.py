"""Process rules match the executable path, its name, argv[0] or comm; fork, exec chains and
fds beyond 65535 keep working."""
import os
import subprocess
import unittest

from tcpkeep_test import (EMBEDDED_DEFAULT, KERNEL_DEFAULTS, SOCKPROBE, Listener, PolicyFile, main, parse_values, shim_env)


def rule_for(process):
    return f'version = 1\n[[rule]]\nprocess = ["{process}"]\nkeepalive = true\nidle = "44s"\n'


MATCHED = {**KERNEL_DEFAULTS, "ka": 1, "idle": 44}


def can_raise_nofile():
    """CAP_SYS_RESOURCE in our effective set (bit 24), which raising RLIMIT_NOFILE past the hard limit needs."""
    with open("/proc/self/status") as f:
        caps = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    return bool(caps & (1 << 24))


class ProcessRules(unittest.TestCase):
    def run_via(self, argv, policy_text, argv0=None):
        with Listener() as l, PolicyFile(policy_text) as p:
            args = [*argv, "socket", "inet", "stream", "connect", "127.0.0.1", str(l.port), "show"]
            out = subprocess.run(args, env=shim_env(p.path), capture_output=True, text=True, check=True,
                                 executable=args[0] if argv0 is None else None, timeout=20)
        return parse_values(out.stdout.splitlines()[-1])

    def test_match_by_name_path_glob_and_not_other(self):
        probe_dir = os.path.dirname(SOCKPROBE)
        self.assertEqual(self.run_via([SOCKPROBE], rule_for("sockprobe")), MATCHED)
        self.assertEqual(self.run_via([SOCKPROBE], rule_for("sock*")), MATCHED)
        self.assertEqual(self.run_via([SOCKPROBE], rule_for(f"{probe_dir}/*")), MATCHED)
        self.assertEqual(self.run_via([SOCKPROBE], rule_for("/other/dir/*")), KERNEL_DEFAULTS)
        self.assertEqual(self.run_via([SOCKPROBE], rule_for("psql")), KERNEL_DEFAULTS)

    def test_match_by_argv0(self):
        with Listener() as l, PolicyFile(rule_for("legacy-daemon")) as p:
            args = ["legacy-daemon", "socket", "inet", "stream", "connect", "127.0.0.1", str(l.port), "show"]
            out = subprocess.run(args, executable=SOCKPROBE, env=shim_env(p.path), capture_output=True, text=True, check=True)
        self.assertEqual(parse_values(out.stdout.splitlines()[-1]), MATCHED)

    def test_exec_chain_through_sh_matches_child(self):
        with Listener() as l, PolicyFile(rule_for("sockprobe")) as p:
            script = f'"{SOCKPROBE}" socket inet stream connect 127.0.0.1 {l.port} show'
            out = subprocess.run(["sh", "-c", script + "; true"], env=shim_env(p.path), capture_output=True, text=True, check=True)
        self.assertEqual(parse_values(out.stdout.splitlines()[-1]), MATCHED)

    def test_fork_without_exec(self):
        code = ("import os, socket, sys\n"
                "def show(tag):\n"
                "    s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
                "    print(tag, s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), s.getsockopt(6, socket.TCP_KEEPIDLE), flush=True)\n"
                "show('parent')\n"
                "pid = os.fork()\n"
                "if pid == 0:\n"
                "    show('child'); os._exit(0)\n"
                "os.waitpid(pid, 0)\n")
        with Listener() as l:
            out = subprocess.run(["python3", "-c", code, str(l.port)], env=shim_env(), capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split("\n")[:2], ["parent 1 60", "child 1 60"])

    def test_high_fds(self):
        """Sockets beyond 65535 where RLIMIT_NOFILE can be raised (needs CAP_SYS_RESOURCE), else as high as
        the hard limit allows; either way past 4096, where the shim's fd table uses mapped chunks."""
        code = ("import os, resource, socket, sys\n"
                "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
                "try:\n"
                "    resource.setrlimit(resource.RLIMIT_NOFILE, (70000, 70000))\n"
                "except (ValueError, OSError):\n"
                "    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
                "limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n"
                "held = [os.open('/dev/null', os.O_RDONLY) for _ in range(min(66000, limit - 16))]\n"
                "s = socket.socket()\n"
                "s.connect(('127.0.0.1', int(sys.argv[1])))\n"
                "print(s.fileno(), *(s.getsockopt(l, o) for l, o in ((1, 9), (6, 4), (6, 5), (6, 6), (6, 18))))\n")
        with Listener() as l:
            out = subprocess.run(["python3", "-c", code, str(l.port)], env=shim_env(), capture_output=True, text=True, check=True)
        fd, *values = map(int, out.stdout.split())
        self.assertGreaterEqual(fd, 65536 if os.geteuid() == 0 and can_raise_nofile() else 4096)
        self.assertEqual(values, list(EMBEDDED_DEFAULT.values()))


if __name__ == "__main__":
    main()
