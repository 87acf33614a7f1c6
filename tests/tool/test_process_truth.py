"""verify and apply learn from the shim inside the process which policy it loaded and what it knows
of each socket, instead of guessing from /proc/PID/environ: real daemons that rewrite their process
title (redis-server, nginx), a program that sets options itself, a process in another mount
namespace, a Go program the shim cannot see into, and a shim file replaced under a running process."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from go_client import build_go_client
from staging import staged_for
from tcpkeep_test import remote_values
from daemons import Daemon, free_port, policy_in_temp_dir, require_program, wait_for_port
from tooltest import (PYTHON, SHIM, SYSCONF, TARGET_PY, TOOL, Target, as_list, main, require_root, target_env, tool, tool_json)


POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "37s"\ninterval = "7s"\ncount = 4\nuser_timeout = "51s"\n'
POLICY_VALUES = [1, 37, 7, 4, 51000]
# redis-server sets these on every accepted connection itself (its tcp-keepalive 300 default).
REDIS_OWN = {"keepalive": 1, "idle": 300, "interval": 100, "count": 3}


def socket_rows(report):
    return {s["fd"]: s for s in report["sockets"]}


class TitleRewritingDaemons(unittest.TestCase):
    def setUp(self):
        self.dir, self.policy = policy_in_temp_dir(self, POLICY)

    def assert_policy_from_shim(self, report):
        self.assertEqual((report["policy"], report["policy_origin"], report["policy_view"]), (self.policy, "shim", "process"))
        self.assertEqual(report["shim_engine"], "ready")

    def test_redis_verify_apply_and_an_edited_policy(self):
        redis = require_program(self, "redis-server")
        port = free_port()
        d = Daemon(self, [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--logfile", os.path.join(self.dir, "redis.log")], self.policy, port)
        time.sleep(0.2)  # the accepted connection is made
        with open(f"/proc/{d.pid}/environ", "rb") as f:  # the title rewrite overwrote the environment
            self.assertNotIn(b"TCPKEEP_POLICY=", f.read())

        report = tool_json(self, "verify", "--pid", str(d.pid), expect=0)
        self.assert_policy_from_shim(report)
        self.assertEqual(report["runs_as"], "redis-server")
        rows = socket_rows(report)
        listener = next(s for s in rows.values() if s["state"] == "LISTEN")
        accepted = next(s for s in rows.values() if s["state"] == "ESTABLISHED")
        self.assertEqual((listener["direction"], listener["direction_source"]), ("inbound", "shim"))
        self.assertEqual(as_list(listener["actual"]), POLICY_VALUES)
        self.assertEqual((accepted["direction"], accepted["direction_source"]), ("inbound", "shim"))
        self.assertEqual(as_list(accepted["actual"]), [1, 300, 100, 3, 51000])  # redis's own, the policy's user timeout
        self.assertEqual(accepted["program_set"], ["keepalive", "idle_s", "interval_s", "count"])
        self.assertEqual(accepted["program_chose"], ["idle_s", "interval_s", "count"])
        self.assertIs(accepted["ok"], True)
        text = tool("verify", "--pid", str(d.pid))
        self.assertEqual(text.returncode, 0, text.stdout + text.stderr)
        self.assertIn("5min (program's own; policy 37s)", text.stdout)

        # apply without --policy uses the same policy and leaves redis's own choices alone.
        applied = tool_json(self, "apply", "--pid", str(d.pid), expect=0)
        self.assert_policy_from_shim(applied)
        self.assertEqual([s.get("changes") for s in applied["sockets"]], [None] * len(applied["sockets"]))
        self.assertEqual(list(remote_values(d.pid, accepted["fd"]).values()), [1, 300, 100, 3, 51000])

        with open(self.policy, "a") as f:
            f.write("# edited after the daemon started\n")
        # The shim reloads an edited file at the next connection or accept: until then the file as it
        # is now judges the sockets, and the report says the shim loaded an older version.
        stale = tool_json(self, "verify", "--pid", str(d.pid), expect=0)
        self.assertTrue(stale["policy_note"].startswith(f"its shim loaded an older version of {self.policy} ("), stale["policy_note"])
        applied = tool_json(self, "apply", "--pid", str(d.pid), expect=0)
        self.assertEqual([s.get("changes") for s in applied["sockets"]], [None] * len(applied["sockets"]))  # a comment changes no value
        self.assertEqual(list(remote_values(d.pid, listener["fd"]).values()), POLICY_VALUES)

    def test_nginx_master_and_workers(self):
        nginx = require_program(self, "nginx")
        port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"daemon off; master_process on; worker_processes 2; pid {self.dir}/nginx.pid;\n"
                    f"error_log stderr; events {{ worker_connections 64; }}\n"
                    f"http {{ access_log off; server {{ listen 127.0.0.1:{port}; return 204; }} }}\n")
        d = Daemon(self, [nginx, "-p", self.dir, "-c", conf, "-e", "stderr"], self.policy, port)
        deadline = time.monotonic() + 10
        workers = []
        while len(workers) < 2 and time.monotonic() < deadline:
            out = subprocess.run(["pgrep", "-P", str(d.pid)], capture_output=True, text=True).stdout
            workers = [int(p) for p in out.split()]
            time.sleep(0.05)
        self.assertEqual(len(workers), 2)
        for pid in [d.pid, *workers]:
            report = tool_json(self, "verify", "--pid", str(pid), expect=0)
            self.assert_policy_from_shim(report)
            listeners = [s for s in report["sockets"] if s["state"] == "LISTEN"]
            self.assertEqual([as_list(s["actual"]) for s in listeners], [POLICY_VALUES], report)


class ProgramsOwnOptions(unittest.TestCase):
    def test_verify_reports_them_and_the_log_matches_strace(self):
        require_program(self, "strace")
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        policy, log, trace = (os.path.join(d, n) for n in ("policy.toml", "shim.log", "strace.txt"))
        with open(log, "w"):  # made first: a process running as root only appends to its log
            pass
        with open(policy, "w") as f:
            f.write(POLICY)
        program = ("import socket, sys\n"
                   "srv = socket.create_server(('127.0.0.1', 0))\n"
                   "c = socket.socket()\n"
                   "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 100)\n"  # before connect: the shim leaves it
                   "c.connect(srv.getsockname())\n"
                   "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)\n"  # after: the program changes the policy's value
                   "a = srv.accept()[0]\n"
                   "print(c.fileno(), flush=True)\n"
                   "sys.stdin.read()\n")
        p = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=setsockopt", "-o", trace, PYTHON, "-c", program],
                             env=target_env(preload=True, policy=policy, TCPKEEP_LOG="debug", TCPKEEP_LOG_FILE=log),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(p.wait)
        self.addCleanup(p.stdin.close)
        fd = int(p.stdout.readline())
        pid = int(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()[0])

        report = tool_json(self, "verify", "--pid", str(pid), expect=0)
        client = socket_rows(report)[fd]
        self.assertEqual(as_list(client["actual"]), [1, 100, 7, 2, 51000])
        self.assertEqual(client["program_set"], ["idle_s", "count"])
        self.assertEqual(client["program_chose"], ["idle_s", "count"])
        self.assertIs(client["ok"], True)
        p.stdin.close()
        p.wait(timeout=10)

        with open(log) as f:
            outbound = [line for line in f if f" fd {fd} outbound " in line]
        self.assertEqual(len(outbound), 1, outbound)
        self.assertTrue(outbound[0].rstrip().endswith(
            'rule "[defaults]": set keepalive=1 interval=7s count=4 user_timeout=51000ms; left as the program set them: idle'),
            outbound[0])
        # strace sees exactly the program's two calls and the four the log says were made.
        with open(trace) as f:
            calls = [line.split("setsockopt(", 1)[1].split(")")[0] for line in f if f"setsockopt({fd}," in line]
        names = [c.split(", ")[2] for c in calls]
        self.assertEqual(names, ["TCP_KEEPIDLE", "SO_KEEPALIVE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT", "TCP_KEEPCNT"])


class GoPrograms(unittest.TestCase):
    def test_cgo_client_run_warns_and_verify_names_the_reason(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d, True)
        client = build_go_client(self, d, cgo=True)  # dynamically linked, so the shim does load into it
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            # --no-cgroup: as root, run would give a Go program the policy through cgroup mode (cgroup.run).
            p = subprocess.Popen([TOOL, "run", "--no-cgroup", "--", client, f"127.0.0.1:{port}"], env=target_env(), stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.addCleanup(p.wait)
            self.addCleanup(p.kill)
            self.assertEqual(p.stdout.readline(), "ready\n")
            accepted = server.accept()[0]
            self.addCleanup(accepted.close)
            report = tool_json(self, "verify", "--pid", str(p.pid), expect=1)
            p.stdin.close()
            self.assertEqual(p.wait(timeout=10), 0)
            warning = p.stderr.read()
            p.stderr.close()
            p.stdout.close()
        self.assertIn(f"tcpkeep: {client} is a Go program: the shim loads into it but sees none of its connections", warning)
        self.assertTrue(report["shim"]["loaded"])
        self.assertEqual(report["shim_engine"], "idle")
        self.assertTrue(report["shim_inactive"].startswith("a Go program: its runtime makes system calls directly"), report)
        self.assertEqual([s["direction_source"] for s in report["sockets"]], ["inferred"])
        self.assertIs(report["ok"], False)


class ProcessesTheToolCannotGuess(unittest.TestCase):
    def test_other_mount_namespace_uses_the_process_view(self):
        require_root(self)
        # The system policy exists only inside the target's mount namespace (tmpfs over its directory).
        directory = os.path.dirname(SYSCONF)
        top = directory
        while not os.path.isdir(top):
            top = os.path.dirname(top)
        policy = POLICY.replace('"37s"', '"45s"')
        script = (f'mount -t tmpfs tcpkeep-test "{top}" && mkdir -p "{directory}" && '
                  f"printf '%s' '{policy}' > \"{SYSCONF}\" && exec \"$0\" \"$@\"")
        env = target_env(preload=True, policy=None)
        with Target(["unshare", "-m", "--propagation", "private", "sh", "-c", script, PYTHON, TARGET_PY, "4"], env=env) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.assertEqual((report["policy"], report["policy_origin"], report["policy_view"]), (SYSCONF, "shim", "process"))
            self.assertEqual({tuple(as_list(s["actual"])) for s in report["sockets"]}, {(1, 45, 7, 4, 51000)})
            text = tool("verify", "--pid", str(t.pid))
            self.assertIn(f"policy: {SYSCONF} (loaded by the shim, read in the process's mount namespace)", text.stdout)

    def test_replaced_shim_file_is_read_as_mapped(self):
        require_root(self)  # /proc/PID/map_files needs CAP_SYS_ADMIN
        staged = staged_for(self)
        shim = staged.shim(SHIM)
        with Target([PYTHON, TARGET_PY, "4"], env=target_env(preload=True, shim=shim)) as t:
            before = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            replacement = shim + ".new"
            with open(SHIM, "rb") as source, open(replacement, "wb") as f:
                f.write(source.read()[:4096])  # a new file (inode) where the process's shim was, not even a whole library
            os.rename(replacement, shim)
            # The record is found in the file the process really mapped, whatever is at its path now.
            after = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.assertEqual([(s["fd"], s["actual"], s["ok"]) for s in after["sockets"]], [(s["fd"], s["actual"], s["ok"]) for s in before["sockets"]])
            self.assertEqual(after["policy_origin"], "shim")

    def test_direction_of_an_accepted_socket_whose_listener_is_gone(self):
        # No shim, so no record: an accepted connection on a fixed port, its listener closed.
        program = ("import socket, sys\n"
                   "for port in range(20000, 30000):\n"
                   "    try:\n"
                   "        srv = socket.create_server(('127.0.0.1', port)); break\n"
                   "    except OSError: pass\n"
                   "c = socket.create_connection(('127.0.0.1', port))\n"
                   "a = srv.accept()[0]\n"
                   "srv.close()\n"
                   "print('ready', port, c.fileno(), a.fileno(), flush=True)\n"
                   "sys.stdin.read()\n")
        p = subprocess.Popen([PYTHON, "-c", program], env=target_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.addCleanup(p.wait)
        self.addCleanup(p.stdin.close)
        _, port, client_fd, accepted_fd = p.stdout.readline().split()
        p.stdout.close()
        rows = socket_rows(tool_json(self, "verify", "--pid", str(p.pid), expect=1))
        self.assertEqual(sorted(rows), sorted([int(client_fd), int(accepted_fd)]))
        self.assertEqual((rows[int(client_fd)]["direction"], rows[int(client_fd)]["direction_source"]), ("outbound", "inferred"))
        self.assertEqual((rows[int(accepted_fd)]["direction"], rows[int(accepted_fd)]["local"]), ("inbound", f"127.0.0.1:{port}"))
        self.assertIsNone(rows[int(accepted_fd)]["program_set"])

    def test_shim_before_any_decision_and_no_sockets(self):
        with Target([PYTHON, "-c", "import sys; print('ready 0', flush=True); sys.stdin.read()"],
                    env=target_env(preload=True)) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            self.assertEqual((report["shim_engine"], report["policy_origin"], report["sockets"]), ("idle", "discovery", []))
            self.assertIn("not loaded yet", report["policy_note"])
            text = tool("verify", "--pid", str(t.pid))
            self.assertIn("ok: no TCP sockets", text.stdout)
            self.assertNotIn("0 sockets", text.stdout)


if __name__ == "__main__":
    main()
