"""examples/systemd on a real systemd: systemd booted as PID 1 in systemd-nspawn over the Debian root
file system, the package installed with `apt-get install ./tcpkeep_*.deb`, the legacy echo server
and client of examples/legacy as units, the drop-in as the package ships the example and as
`tcpkeep env` prints it, `systemctl daemon-reload` and `restart`, then `tcpkeep verify` inside the
container on the units' main PIDs (and pidfd_getfd from the host on the same sockets). Without the
drop-in, verify exits 1; a hardened unit (PrivateTmp=, DynamicUser=, ProtectSystem=strict) gets
the shim and the policy all the same. Cgroup mode: statically linked echo programs (no preload can
reach them) as units with examples/systemd/tcpkeep-attach.conf get the policy from the attachment
to their own cgroups, `systemctl stop` leaves nothing attached, and without the drop-in they hold
the kernel's values."""
import os
import subprocess
import unittest

import engines
from engines import DEFAULT_VALUES, PACKAGE_POLICY, PACKAGE_SHIM, socket_values, verify_report
from tcpkeep_test import TCP_ESTABLISHED, TCP_LISTEN, wait_for_socket

EXAMPLE_DROP_IN = os.path.join(os.environ.get("TCPKEEP_SOURCE_DIR", ""), "examples", "systemd", "tcpkeep.conf")
INSTALLED_DROP_IN = "/usr/share/doc/tcpkeep/examples/systemd/tcpkeep.conf"
EXAMPLE_ATTACH_DROP_IN = os.path.join(os.path.dirname(EXAMPLE_DROP_IN), "tcpkeep-attach.conf")
INSTALLED_ATTACH_DROP_IN = os.path.join(os.path.dirname(INSTALLED_DROP_IN), "tcpkeep-attach.conf")
SERVER_PORT, HARDENED_PORT, STATIC_PORT = 7070, 7071, 7072


def unit(description, command, extra=""):
    return f"[Unit]\nDescription={description}\n\n[Service]\nExecStart={command}\n{extra}"


UNITS = {
    "echo-server": unit("legacy echo server", f"/usr/local/bin/echo_server {SERVER_PORT}"),
    "echo-client": unit("legacy echo client", f"/usr/local/bin/echo_client 127.0.0.1 {SERVER_PORT}"),
    "echo-hardened": unit("legacy echo server, sandboxed", f"/usr/local/bin/echo_server {HARDENED_PORT}",
                          "PrivateTmp=yes\nDynamicUser=yes\nProtectSystem=strict\n"),
    "static-server": unit("statically linked echo server", f"/usr/local/bin/echo_server_static {STATIC_PORT}"),
    "static-client": unit("statically linked echo client", f"/usr/local/bin/echo_client_static 127.0.0.1 {STATIC_PORT}"),
}


def directives(text):
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]


class Systemd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        engines.require_engines("systemd-nspawn", "nsenter")
        engines.become_subreaper()
        cls.machine = engines.BootedSystemd(engines.use_rootfs())
        cls.addClassCleanup(cls.machine.close)
        deb = engines.the_package()
        cls.machine.copy_in(deb, "/root/" + os.path.basename(deb), mode=0o644)
        for program in engines.LEGACY_PROGRAMS:
            cls.machine.copy_in(os.path.join(engines.ECHO_DIR, program), "/usr/local/bin/" + program)
        if engines.STATIC_ECHO_DIR:
            for program in engines.STATIC_PROGRAMS:
                cls.machine.copy_in(os.path.join(engines.STATIC_ECHO_DIR, program), "/usr/local/bin/" + program)
        # As README "Install" says, in the directory holding the package (dpkg, conffile and all).
        cls.machine.check(["sh", "-c", "cd /root && apt-get install -y ./tcpkeep_*.deb"], timeout=120)
        for name, text in UNITS.items():
            cls.machine.write(f"/etc/systemd/system/{name}.service", text)

    def systemctl(self, *args):
        return self.machine.check(["systemctl", *args]).strip()

    def main_pid(self, name):
        pid = int(self.systemctl("show", "-P", "MainPID", name))
        self.assertNotEqual(pid, 0, self.machine.run(["systemctl", "status", name]).stdout)
        return pid

    def restart_and_wait(self, name, state, port):
        """restart, then wait until the main process has a TCP socket in `state` on `port`."""
        self.systemctl("restart", name)
        pid = self.main_pid(name)
        host = engines.host_pid(self.machine.leader, pid)
        wait_for_socket(host, {"LISTEN": TCP_LISTEN, "ESTABLISHED": TCP_ESTABLISHED}[state], port, timeout=20)
        return pid, host

    def verify(self, pid, expect):
        return verify_report(self, self.machine.run, pid, expect)

    def install_drop_in(self, name, text, file="tcpkeep.conf"):
        self.machine.write(f"/etc/systemd/system/{name}.service.d/{file}", text)

    def test_apt_installed_the_package_and_its_conffile(self):
        version = subprocess.run(["dpkg-deb", "--field", engines.the_package(), "Version"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        status = self.machine.check(["dpkg-query", "-W", "-f", "${Status} ${Version}", "tcpkeep"])
        self.assertEqual(status, f"install ok installed {version}")
        conffiles = self.machine.check(["dpkg-query", "-W", "-f", "${Conffiles}", "tcpkeep"]).split()
        self.assertEqual(conffiles[0], PACKAGE_POLICY)
        self.assertTrue(os.path.isfile(f"/proc/{self.machine.leader}/root{PACKAGE_SHIM}"))

    def test_drop_in_is_the_example_and_what_tcpkeep_env_prints(self):
        with open(EXAMPLE_DROP_IN) as f:
            example = f.read()
        self.assertEqual(self.machine.check(["cat", INSTALLED_DROP_IN]), example)
        printed = self.machine.check(["tcpkeep", "env"])
        self.assertEqual(directives(printed), directives(example))
        self.assertEqual(directives(example), ["[Service]", f"Environment=LD_PRELOAD={PACKAGE_SHIM}",
                                               f"Environment=TCPKEEP_POLICY={PACKAGE_POLICY}"])

    def test_legacy_units_with_and_without_the_drop_in(self):
        # The server gets the example as the package installs it, the client what `tcpkeep env` prints.
        self.install_drop_in("echo-server", self.machine.check(["cat", INSTALLED_DROP_IN]))
        self.install_drop_in("echo-client", self.machine.check(["tcpkeep", "env"]))
        self.systemctl("daemon-reload")
        self.assertEqual(self.systemctl("show", "-P", "Environment", "echo-client"),
                         f"LD_PRELOAD={PACKAGE_SHIM} TCPKEEP_POLICY={PACKAGE_POLICY}")
        server, server_host = self.restart_and_wait("echo-server", "LISTEN", SERVER_PORT)
        client, client_host = self.restart_and_wait("echo-client", "ESTABLISHED", SERVER_PORT)
        for pid, host, state in ((server, server_host, "LISTEN"), (client, client_host, "ESTABLISHED")):
            with self.subTest(state=state):
                report = self.verify(pid, 0)
                self.assertEqual((report["shim"]["loaded"], report["shim"]["path"], report["policy"]),
                                 (True, PACKAGE_SHIM, PACKAGE_POLICY), report)
                engines.assert_sockets(self, report, host, {state: [DEFAULT_VALUES]})

        # Negative control: the drop-in removed, daemon-reload, restart: no shim, the kernel's values.
        self.machine.check(["rm", "-r", "/etc/systemd/system/echo-client.service.d"])
        self.systemctl("daemon-reload")
        self.assertEqual(self.systemctl("show", "-P", "Environment", "echo-client"), "")
        client, client_host = self.restart_and_wait("echo-client", "ESTABLISHED", SERVER_PORT)
        report = self.verify(client, 1)
        self.assertFalse(report["shim"]["loaded"], report)
        kernel = [0, *(int(self.machine.check(["cat", f"/proc/sys/net/ipv4/tcp_keepalive_{name}"]))
                       for name in ("time", "intvl", "probes")), 0]
        engines.assert_sockets(self, report, client_host, {"ESTABLISHED": [kernel]})

    def test_hardened_unit_gets_the_shim_and_the_policy(self):
        self.install_drop_in("echo-hardened", self.machine.check(["cat", INSTALLED_DROP_IN]))
        self.systemctl("daemon-reload")
        pid, host = self.restart_and_wait("echo-hardened", "LISTEN", HARDENED_PORT)
        with open(f"/proc/{host}/status") as f:
            uid = next(line for line in f if line.startswith("Uid:")).split()[1]
        self.assertNotEqual(uid, "0")  # DynamicUser=yes: an ephemeral user
        self.assertNotEqual(os.readlink(f"/proc/{host}/ns/mnt"), os.readlink(f"/proc/{self.machine.leader}/ns/mnt"))
        report = self.verify(pid, 0)
        self.assertEqual((report["shim"]["loaded"], report["policy"]), (True, PACKAGE_POLICY), report)
        engines.assert_sockets(self, report, host, {"LISTEN": [DEFAULT_VALUES]})

    def test_static_units_get_the_policy_from_the_attach_drop_in(self):
        engines.require_cgroup_mode()
        with open(EXAMPLE_ATTACH_DROP_IN) as f:
            example = f.read()
        self.assertEqual(self.machine.check(["cat", INSTALLED_ATTACH_DROP_IN]), example)
        units = ("static-server", "static-client")
        for name in units:
            self.install_drop_in(name, example, file="tcpkeep-attach.conf")
        self.addCleanup(self.machine.run, ["systemctl", "stop", *units])
        self.systemctl("daemon-reload")
        self.assertEqual(self.systemctl("show", "-P", "Environment", "static-server"), "")  # no preload
        server, server_host = self.restart_and_wait("static-server", "LISTEN", STATIC_PORT)
        client, client_host = self.restart_and_wait("static-client", "ESTABLISHED", STATIC_PORT)
        cgroups = {name: self.systemctl("show", "-P", "ControlGroup", name) for name in units}
        listed = [line.split("\t") for line in self.machine.check(["tcpkeep", "attached"]).splitlines()]
        self.assertEqual(sorted(fields[0] for fields in listed), sorted(cgroups.values()), listed)
        for fields in listed:
            self.assertTrue(fields[1].startswith(f"policy {PACKAGE_POLICY} ("), listed)
        for name, pid, host, state in (("static-server", server, server_host, "LISTEN"),
                                       ("static-client", client, client_host, "ESTABLISHED")):
            with self.subTest(unit=name):
                with open(f"/proc/{host}/maps") as f:
                    self.assertNotIn(".so", f.read())  # static: no loader, no libc.so, nothing preloaded
                report = self.verify(pid, 0)
                self.assertFalse(report["shim"]["loaded"], report)
                self.assertEqual(report["cgroup_attachment"]["cgroup"], cgroups[name], report)
                engines.assert_sockets(self, report, host, {state: [DEFAULT_VALUES]})

        # Stopped: ExecStopPost= detached both; nothing attached or pinned is left.
        self.systemctl("stop", *units)
        self.assertEqual(self.machine.run(["tcpkeep", "attached"]).stdout, "no tcpkeep policy is attached to any cgroup\n")
        self.assertEqual(self.machine.run(["ls", "-A", "/sys/fs/bpf/tcpkeep"]).stdout, "")  # gone or empty
        # Negative control: without the drop-in, the static server holds the kernel's values.
        self.machine.check(["rm", "-r", "/etc/systemd/system/static-server.service.d"])
        self.systemctl("daemon-reload")
        server, server_host = self.restart_and_wait("static-server", "LISTEN", STATIC_PORT)
        report = self.verify(server, 1)
        self.assertEqual((report["shim"]["loaded"], report["cgroup_attachment"]), (False, None), report)
        self.assertEqual(socket_values(report)["LISTEN"][0][0], 0, report)  # keepalive off


if __name__ == "__main__":
    unittest.main(verbosity=2)
