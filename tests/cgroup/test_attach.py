"""Cgroup mode on real programs: a statically linked client and server, busybox nc and python3 in
an attached child cgroup get the policy's values (read back through pidfd_getfd and by the
programs themselves), outbound and inbound, IPv4 and IPv6; the program's own setsockopt wins
unless the policy enforces; attaching again replaces the policy in place; detach leaves nothing."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from cgrouptest import (SOCKET_TRIPLE, SOCKPROBE_STATIC, Cgroup, attached_programs, main, pinned_attachments,
                        require_cgroup_root, socket_record, tool, write_policy)
from go_client import build_go_client
from tcpkeep_test import KERNEL_DEFAULTS, TCP_ESTABLISHED, TCP_LISTEN, HoldingServer, SilentListener, parse_values, remote_values, wait_for_socket

ORDER = ("ka", "idle", "interval", "count", "user_timeout")
KERNEL = [KERNEL_DEFAULTS[k] for k in ORDER]
DEFAULTS = [1, 61, 11, 5, 9000]  # [defaults] below
DB = [1, 30, 11, 5, 7000]  # rule "db" over [defaults]
BUSYBOX = shutil.which("busybox")


def policy_text(db_port, enforce=False):
    return f"""version = 1
[defaults]
keepalive = true
idle = "61s"
interval = "11s"
count = 5
user_timeout = "9s"

[[rule]]
name = "db"
direction = "outbound"
ports = [{db_port}]
idle = "30s"
user_timeout = "7s"
enforce = {"true" if enforce else "false"}
"""


def as_list(values):
    return [values[k] for k in ORDER]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CgroupAttachTest(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def policy(self, name, db_port, enforce=False):
        return write_policy(self.dir.name, name, policy_text(db_port, enforce))

    def holding_client(self, cg, host, port, *before):
        """A static sockprobe in cg connected to host:port and holding; its socket's values read
        from outside, and as it printed them itself."""
        family = "inet6" if ":" in host else "inet"
        proc = cg.start([SOCKPROBE_STATIC, "socket", family, "stream", *before, "connect", host, str(port), "show", "wait"],
                        stdin=subprocess.PIPE)
        printed = None
        for line in proc.stdout:
            if line.startswith("ka="):
                printed = as_list(parse_values(line))
            if line.startswith("ready"):
                break
        fd = wait_for_socket(proc.pid, TCP_ESTABLISHED, port)
        return as_list(remote_values(proc.pid, fd)), printed, proc

    def test_static_client_outbound_v4_and_v6(self):
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with self.subTest(host=host), HoldingServer(family, host) as db, HoldingServer(family, host) as other, Cgroup() as cg:
                cg.attach(self, self.policy("p.toml", db.port))
                self.assertEqual(list(self.holding_client(cg, host, db.port)[:2]), [DB, DB])
                self.assertEqual(list(self.holding_client(cg, host, other.port)[:2]), [DEFAULTS, DEFAULTS])

    def test_static_server_inbound(self):
        port = free_port()
        with Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", port))  # "db" is outbound only: inbound gets [defaults]
            proc = cg.start([SOCKPROBE_STATIC, "socket", "inet", "stream", "bind", "127.0.0.1", str(port), "listen", "show", "accept", "show",
                             "wait"], stdin=subprocess.PIPE)
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("listen"):
                    self.assertIn("rc=0", line)
                    client = socket.create_connection(("127.0.0.1", port))
                    self.addCleanup(client.close)
                if line.startswith("ready"):
                    break
            shown = [as_list(parse_values(l)) for l in lines if l.startswith("ka=")]
            self.assertEqual(shown, [DEFAULTS, DEFAULTS], lines)  # the listener, then the accepted socket
            self.assertEqual(as_list(remote_values(proc.pid, wait_for_socket(proc.pid, TCP_ESTABLISHED, port))), DEFAULTS)
            # The test's own end, outside the cgroup, is untouched.
            self.assertEqual([client.getsockopt(l, o) for l, o in ((socket.SOL_SOCKET, socket.SO_KEEPALIVE), (6, socket.TCP_KEEPIDLE))],
                             KERNEL[:2])

    def test_a_socket_record_only_where_something_reads_it_later(self):
        # A listener's record is cloned onto every connection it accepts, which cost more than the
        # options themselves: without enforce (or process rules, or a nested attachment) no socket
        # gets one, whatever sibling cgroups have attached. With enforce each does, naming the five
        # enforced options, configured.
        port = free_port()
        for enforce, record in ((False, None), (True, (0, 0x1f, 1))):
            with self.subTest(enforce=enforce), HoldingServer() as db, Cgroup() as sibling, Cgroup() as cg:
                text = policy_text(db.port).replace('user_timeout = "9s"', f'user_timeout = "9s"\nenforce = {str(enforce).lower()}')
                sibling.attach(self, write_policy(self.dir.name, "sibling.toml", text))
                cg.attach(self, write_policy(self.dir.name, f"records-{enforce}.toml", text.split("[[rule]]")[0]))
                server = cg.start([SOCKPROBE_STATIC, "socket", "inet", "stream", "bind", "127.0.0.1", str(port), "listen", "accept", "wait"],
                                  stdin=subprocess.PIPE)
                listener = wait_for_socket(server.pid, TCP_LISTEN, port)
                with socket.create_connection(("127.0.0.1", port)):
                    accepted = wait_for_socket(server.pid, TCP_ESTABLISHED, port)
                    values, _, client = self.holding_client(cg, "127.0.0.1", db.port)
                    outbound = wait_for_socket(client.pid, TCP_ESTABLISHED, db.port)
                    self.assertEqual([as_list(remote_values(server.pid, listener)), as_list(remote_values(server.pid, accepted)), values],
                                     [DEFAULTS] * 3)
                    self.assertEqual([socket_record(server.pid, listener), socket_record(server.pid, accepted),
                                      socket_record(client.pid, outbound)], [record] * 3)

    def test_listener_older_than_the_attachment(self):
        # Listening before the attach: accepted connections are decided one by one, as the shim
        # does for a listener it never saw listen() (systemd socket activation).
        port = free_port()
        with Cgroup() as cg:
            proc = cg.start([SOCKPROBE_STATIC, "socket", "inet", "stream", "bind", "127.0.0.1", str(port), "listen", "show", "accept", "show",
                             "wait"], stdin=subprocess.PIPE)
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if line.startswith("ka=") and sum(l.startswith("ka=") for l in lines) == 1:  # the listener's, before the attach
                    cg.attach(self, self.policy("p.toml", port))
                    client = socket.create_connection(("127.0.0.1", port))
                    self.addCleanup(client.close)
                if line.startswith("ready"):
                    break
            shown = [as_list(parse_values(l)) for l in lines if l.startswith("ka=")]
            self.assertEqual(shown, [KERNEL, DEFAULTS], lines)

    def test_process_rule_by_executable_name_and_older_listener(self):
        # "sockprobe_static" is longer than comm (15 characters): only the executable's file name
        # matches it. A listener older than the attachment gets its process from the attach's pass
        # over the existing sockets, its connections with it; with --new-only it has no process,
        # and the rule never matches its connections.
        probe = [1, 33, 11, 5, 9000]
        for when, expected in (("first", [probe, probe]), ("after", [KERNEL, probe]), ("after, new only", [KERNEL, DEFAULTS])):
            port = free_port()
            rule = f'\n[[rule]]\nname = "probe"\nprocess = ["{os.path.basename(SOCKPROBE_STATIC)}"]\nports = [{port}]\nidle = "33s"\n'
            policy = write_policy(self.dir.name, f"process-{port}.toml", policy_text(port + 1) + rule)
            listen = [SOCKPROBE_STATIC, "socket", "inet", "stream", "bind", "127.0.0.1", str(port), "listen", "show", "accept", "show",
                      "wait"]
            with self.subTest(attached=when), Cgroup() as cg:
                if when == "first":
                    cg.attach(self, policy)
                proc = cg.start(listen, stdin=subprocess.PIPE)
                lines = []
                for line in proc.stdout:
                    lines.append(line)
                    if line.startswith("ka=") and sum(l.startswith("ka=") for l in lines) == 1:
                        if when != "first":
                            r = tool("attach", *(["--new-only"] if "new only" in when else []), "--policy", policy, "--cgroup", cg.path)
                            self.assertEqual(r.returncode, 0, r.stderr)
                        client = socket.create_connection(("127.0.0.1", port))
                        self.addCleanup(client.close)
                    if line.startswith("ready"):
                        break
                shown = [as_list(parse_values(l)) for l in lines if l.startswith("ka=")]
                self.assertEqual(shown, expected, lines)
                if when == "after":
                    self.assertEqual(as_list(remote_values(proc.pid, wait_for_socket(proc.pid, TCP_LISTEN, port))), probe)

    def test_busybox_nc(self):
        if not BUSYBOX:  # scripts/lib/common.sh installs busybox-static
            if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
                self.fail("busybox-static is not installed (TCPKEEP_REQUIRE_NETNS=1)")
            self.skipTest("busybox-static is not installed")
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            proc = cg.start([BUSYBOX, "nc", "127.0.0.1", str(db.port)], stdin=subprocess.PIPE)
            self.assertEqual(as_list(remote_values(proc.pid, wait_for_socket(proc.pid, TCP_ESTABLISHED, db.port))), DB)

    def test_python_listener_client_accepted(self):
        port = free_port()
        with Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", port))
            rc, out, err = cg.run(["python3", SOCKET_TRIPLE, "127.0.0.1", "127.0.0.1", str(port)])
            self.assertEqual(rc, 0, err)
            # No rule with peers: the listener is configured at listen(); the accepted socket, decided
            # again when its handshake completes, holds the same values.
            self.assertEqual(json.loads(out), {"listener": DEFAULTS, "client": DB, "accepted": DEFAULTS})

    def test_program_wins_unless_enforced(self):
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            values, printed, _ = self.holding_client(cg, "127.0.0.1", db.port, "set", "idle", "99", "set", "user_timeout", "1234")
            self.assertEqual(values, [1, 99, 11, 5, 1234])
            self.assertEqual(printed, values)
            cg.attach(self, self.policy("enforced.toml", db.port, enforce=True), expect="replaced")
            proc = cg.start([SOCKPROBE_STATIC, "socket", "inet", "stream", "set", "idle", "99", "connect", "127.0.0.1", str(db.port), "show",
                             "set", "idle", "77", "show"])
            out, err = proc.communicate(timeout=30)
            lines = out.splitlines()
            self.assertEqual([as_list(parse_values(l)) for l in lines if l.startswith("ka=")], [DB, DB], out)
            self.assertEqual([l for l in lines if l.startswith("set")], ["set rc=0 errno=0", "set rc=0 errno=0"])

    def test_a_failed_setsockopt_is_not_the_programs_choice(self):
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            values, printed, _ = self.holding_client(cg, "127.0.0.1", db.port, "set", "idle", "0")
            self.assertEqual(values, DB)

    def test_replace_in_place_then_detach_leaves_nothing(self):
        with HoldingServer() as db, HoldingServer() as other, Cgroup() as cg:
            cg.attach(self, self.policy("a.toml", db.port))
            before, _, _ = self.holding_client(cg, "127.0.0.1", db.port)
            self.assertEqual(before, DB)
            cg_id = str(os.stat(cg.directory).st_ino)
            programs = [("cgroup_setsockopt", "tcpkeep_setsockopt"), ("cgroup_sock_ops", "tcpkeep_sockops")]
            self.assertEqual(attached_programs(cg.directory), programs)
            b = cg.attach(self, self.policy("b.toml", other.port), expect="replaced the policy with")
            self.assertIn(f"on cgroup {cg.path}", b.stdout)
            self.assertEqual(attached_programs(cg.directory), programs)  # still one of each: replaced, not added
            self.assertEqual(self.holding_client(cg, "127.0.0.1", other.port)[0], DB)
            self.assertEqual(self.holding_client(cg, "127.0.0.1", db.port)[0], DEFAULTS)
            listed = tool("attached")
            self.assertEqual(listed.returncode, 0, listed.stderr)
            ours = [l for l in listed.stdout.splitlines() if l.startswith(cg.path + "\t")]
            self.assertEqual(len(ours), 1, listed.stdout)
            self.assertIn(f"policy {os.path.join(self.dir.name, 'b.toml')} (1 rule, digest ", ours[0])
            self.assertIn(cg_id, pinned_attachments())

            r = tool("detach", "--cgroup", cg.path)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, f"detached from cgroup {cg.path}\n", ""))
            self.assertEqual(attached_programs(cg.directory), [])
            self.assertNotIn(cg_id, pinned_attachments() or [])
            self.assertEqual(self.holding_client(cg, "127.0.0.1", db.port)[0], KERNEL)

    def test_an_attachment_outliving_its_cgroup_is_listed_and_detached_by_path(self):
        self.policy("rel.toml", 5432)
        cg = Cgroup()
        cg_id = str(os.stat(cg.directory).st_ino)
        # A relative policy path is recorded absolute: the attachment is read later from anywhere.
        r = tool("attach", "--policy", "rel.toml", "--cgroup", cg.path, cwd=self.dir.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        policy = os.path.join(self.dir.name, "rel.toml")
        self.assertEqual(r.stdout, f"attached {policy} (1 rule) to cgroup {cg.path}\nexisting sockets: none (no process in the cgroup)\n")
        os.rmdir(cg.directory)  # a container gone before anyone detached
        listed = [l for l in tool("attached").stdout.splitlines() if l.startswith(cg.path + "\t")]
        self.assertEqual(len(listed), 1)
        self.assertIn(f"\tpolicy {policy} (1 rule, ", listed[0])
        self.assertTrue(listed[0].endswith("\tcgroup removed: `tcpkeep detach --cgroup` it"), listed[0])
        self.assertIn(cg_id, pinned_attachments())
        r = tool("detach", "--cgroup", cg.directory)  # its former directory names it too
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (0, f"detached from cgroup {cg.path} (removed before; its pinned attachment is gone now)\n", ""))
        self.assertNotIn(cg.path + "\t", tool("attached").stdout)
        self.assertNotIn(cg_id, pinned_attachments() or [])
        r = tool("detach", "--cgroup", cg.path)  # nothing left: the error for a missing cgroup
        self.assertEqual((r.returncode, r.stdout, r.stderr), (2, "", f"tcpkeep: {cg.path}: no such cgroup ({cg.directory} does not exist)\n"))

    def test_user_timeout_bounds_a_connect_to_a_black_hole(self):
        # A listener whose accept queue is full drops every SYN: only TCP_USER_TIMEOUT, set by
        # the kernel-side program before the first SYN, ends the static program's connect.
        with SilentListener() as hole, Cgroup() as cg:
            p = write_policy(self.dir.name, "p.toml", 'version = 1\n[defaults]\nuser_timeout = "2s"\n')
            cg.attach(self, p)
            started = time.monotonic()
            rc, out, err = cg.run([SOCKPROBE_STATIC, "socket", "inet", "stream", "connect", "127.0.0.1", str(hole.port)])
            elapsed = time.monotonic() - started
            self.assertEqual((rc, out.splitlines()[-1]), (0, "connect rc=-1 errno=ETIMEDOUT"), err)
            self.assertGreaterEqual(elapsed, 2.0)
            self.assertLess(elapsed, 2.5)  # max(0.5 s, 10 %) of the 2 s; the kernel's own retries would take ~127 s

    def test_the_nearest_attachment_decides(self):
        # Both programs run for a socket in the inner cgroup, the inner one first; the socket
        # record they share makes the outer one leave a decided socket alone. Either attachment
        # may come first: an attach tells the existing ones to keep records.
        port = free_port()
        outer_policy = write_policy(self.dir.name, "outer.toml", 'version = 1\n[defaults]\nidle = "11s"\n')
        inner_policy = write_policy(self.dir.name, "inner.toml", 'version = 1\n[defaults]\nidle = "22s"\ncount = 2\n')
        for inner_first in (False, True):
            with self.subTest(inner_first=inner_first):
                self.nearest_decides(port, outer_policy, inner_policy, inner_first)

    def nearest_decides(self, port, outer_policy, inner_policy, inner_first):
        with Cgroup() as outer, Cgroup(parent=outer) as inner:
            for cg, policy in ((inner, inner_policy), (outer, outer_policy)) if inner_first else ((outer, outer_policy), (inner, inner_policy)):
                cg.attach(self, policy)
            rc, out, err = inner.run(["python3", SOCKET_TRIPLE, "127.0.0.1", "127.0.0.1", str(port)])
            self.assertEqual(rc, 0, err)
            inner_values = [0, 22, KERNEL[2], 2, 0]
            self.assertEqual(json.loads(out), {"listener": inner_values, "client": inner_values, "accepted": inner_values})
            rc, out, err = outer.run(["python3", SOCKET_TRIPLE, "127.0.0.1", "127.0.0.1", str(port)])
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["client"], [0, 11, KERNEL[2], KERNEL[3], 0])

    def test_go_static_client_keeps_its_own_keepalive(self):
        program = build_go_client(self, self.dir.name, cgo=False)
        with open(program, "rb") as f:
            self.assertNotIn(b".interp", f.read())  # no program interpreter: LD_PRELOAD would never be read
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            proc = cg.start([program, f"127.0.0.1:{db.port}"], stdin=subprocess.PIPE)
            self.assertEqual(proc.stdout.readline(), "ready\n")
            # Go set keepalive, idle and interval itself (15 s) after connecting: its choice stays;
            # count and user timeout come from the policy's rule "db".
            self.assertEqual(as_list(remote_values(proc.pid, wait_for_socket(proc.pid, TCP_ESTABLISHED, db.port))), [1, 15, 15, 5, 7000])

    def test_io_uring_connect(self):
        program = os.environ.get("TCPKEEP_URING_CONNECT")
        if not program:  # scripts/lib/common.sh installs liburing-dev
            if os.environ.get("TCPKEEP_REQUIRE_NETNS") == "1":
                self.fail("built without liburing-dev (TCPKEEP_REQUIRE_NETNS=1)")
            self.skipTest("built without liburing-dev")
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            proc = cg.start(["strace", "-f", "-qq", "-e", "trace=connect", "-o", os.path.join(self.dir.name, "strace"), program, "127.0.0.1",
                             str(db.port)], stdin=subprocess.PIPE)
            self.assertEqual(proc.stdout.readline(), "ready\n", proc.stderr)
            pid = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=True).stdout.split()[0])
            self.assertEqual(as_list(remote_values(pid, wait_for_socket(pid, TCP_ESTABLISHED, db.port))), DB)
            with open(os.path.join(self.dir.name, "strace")) as f:
                self.assertNotIn("connect(", f.read())  # the kernel connected it for io_uring: no system call

    def test_setuid_program(self):
        # The dynamic loader ignores LD_PRELOAD for a setuid program; the cgroup's program does not care.
        staged = tempfile.mkdtemp(dir="/var/tmp")
        self.addCleanup(shutil.rmtree, staged)
        os.chmod(staged, 0o755)
        program = os.path.join(staged, "sockprobe_setuid")
        shutil.copy(SOCKPROBE_STATIC, program)
        os.chmod(program, 0o4755)  # owned by root, run by nobody
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            proc = cg.start(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", program, "socket", "inet", "stream", "connect",
                             "127.0.0.1", str(db.port), "wait"], stdin=subprocess.PIPE)
            fd = wait_for_socket(proc.pid, TCP_ESTABLISHED, db.port)
            with open(f"/proc/{proc.pid}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()[1:3]
            self.assertEqual(uids[1], "0")  # effective uid root: the setuid bit took effect
            self.assertEqual(as_list(remote_values(proc.pid, fd)), DB)

    def test_verify_reports_an_attachment_on_an_ancestor(self):
        with HoldingServer() as db, Cgroup() as cg:
            cg.attach(self, self.policy("p.toml", db.port))
            with Cgroup(parent=cg) as child:  # the process runs in a child of the attached cgroup
                values, _, proc = self.holding_client(child, "127.0.0.1", db.port)
                self.assertEqual(values, DB)
                r = tool("verify", "--pid", str(proc.pid), "--json")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                report = json.loads(r.stdout)
                report = report[0] if isinstance(report, list) else report
                self.assertEqual((report["ok"], report["policy_origin"], report["policy"]), (True, "cgroup", cg_policy(self)))
                self.assertEqual(report["cgroup_attachment"]["cgroup"], cg.path)
                self.assertEqual([s["rule"] for s in report["sockets"]], ["db"])
                text = tool("verify", "--pid", str(proc.pid))
                self.assertIn(f"  cgroup: {cg.path} carries a tcpkeep attachment (policy {cg_policy(self)})", text.stdout)
                # The host audit counts it covered, by the cgroup.
                audit = json.loads(tool("audit", "--json").stdout)
                row = next(p for p in audit["processes"] if p["pid"] == proc.pid)
                self.assertEqual((row["coverage"], row["coverage_reason"]), ("cgroup", None))
                # Detached: nothing gives new sockets the policy any more.
                tool("detach", "--cgroup", cg.path)
                r = tool("verify", "--pid", str(proc.pid), "--policy", cg_policy(self), "--json")
                report = json.loads(r.stdout)
                report = report[0] if isinstance(report, list) else report
                self.assertEqual((r.returncode, report["ok"], report["cgroup_attachment"]), (1, False, None))

    def test_verify_judges_by_the_text_attached_not_the_file_now(self):
        with HoldingServer() as db, Cgroup() as cg:
            path = self.policy("p.toml", db.port)
            cg.attach(self, path)
            values, _, proc = self.holding_client(cg, "127.0.0.1", db.port)
            self.assertEqual(values, DB)
            # Edited after attaching: the kernel still runs the attached text (idle 30 s), and so
            # does verify; it says the file changed.
            with open(path, "w") as f:
                f.write(policy_text(db.port).replace('idle = "30s"', 'idle = "45s"'))
            report = self.verify_json(proc.pid)
            self.assertEqual((report["ok"], report["policy_origin"], report["policy"]), (True, "cgroup", path), report)
            self.assertEqual(report["sockets"][0]["expected"]["idle_s"], 30)
            self.assertIn(f"{path} has changed since", report["policy_note"])
            # Gone (as a file attached from inside a container is, seen from the host): the same.
            os.unlink(path)
            report = self.verify_json(proc.pid)
            self.assertEqual((report["ok"], report["sockets"][0]["expected"]["idle_s"]), (True, 30), report)
            self.assertEqual(report["policy_note"], f"attached to cgroup {cg.path}")

    def test_verify_sees_the_file_attached_unchanged(self):
        # The digest the attachment records is the one verify computes from the file as it is.
        with HoldingServer() as db, Cgroup() as cg:
            path = self.policy("p.toml", db.port)
            cg.attach(self, path)
            _, _, proc = self.holding_client(cg, "127.0.0.1", db.port)
            report = self.verify_json(proc.pid)
            self.assertEqual((report["ok"], report["policy"], report["policy_note"]), (True, path, f"attached to cgroup {cg.path}"), report)

    def test_verify_knows_an_attached_embedded_default(self):
        env = {k: v for k, v in os.environ.items() if k != "TCPKEEP_POLICY"}
        system_policy = os.environ["TCPKEEP_SYSCONF"]  # discovery's next step, on a machine that has one
        expected = system_policy if os.path.exists(system_policy) else "<embedded default>"
        with HoldingServer() as peer, Cgroup() as cg:
            r = tool("attach", "--cgroup", cg.path, env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.addCleanup(tool, "detach", "--cgroup", cg.path)
            self.assertTrue(r.stdout.startswith(f"attached {expected} "), r.stdout)
            _, _, proc = self.holding_client(cg, "127.0.0.1", peer.port)
            report = self.verify_json(proc.pid)
            self.assertEqual((report["ok"], report["policy_origin"], report["policy"]), (True, "cgroup", expected), report)

    def verify_json(self, pid):
        r = tool("verify", "--pid", str(pid), "--json")
        self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
        report = json.loads(r.stdout)
        return report[0] if isinstance(report, list) else report


def cg_policy(test):
    return os.path.join(test.dir.name, "p.toml")


if __name__ == "__main__":
    main()
