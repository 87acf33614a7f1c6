"""examples/systemd on a real systemd: systemd booted as PID 1 in systemd-nspawn over the Debian root
file system, the package installed with `apt-get install ./tcpkeep_*.deb`, the legacy echo server
and client of examples/legacy as units, the drop-in as the package ships the example and as
`tcpkeep env` prints it, `systemctl daemon-reload` and `restart`, then `tcpkeep verify` inside the
container on the units' main PIDs (and pidfd_getfd from the host on the same sockets). Without the
drop-in, verify exits 1; a hardened unit (PrivateTmp=, DynamicUser=, ProtectSystem=strict) gets
the shim and the policy all the same."""
import os
import subprocess
import unittest

import engines
from engines import DEFAULT_VALUES, PACKAGE_POLICY, PACKAGE_SHIM, verify_report
from tcpkeep_test import TCP_ESTABLISHED, TCP_LISTEN, wait_for_socket

EXAMPLE_DROP_IN = os.path.join(os.environ.get("TCPKEEP_SOURCE_DIR", ""), "examples", "systemd", "tcpkeep.conf")
INSTALLED_DROP_IN = "/usr/share/doc/tcpkeep/examples/systemd/tcpkeep.conf"
SERVER_PORT, HARDENED_PORT = 7070, 7071


def unit(description, command, extra=""):
    return f"[Unit]\nDescription={description}\n\n[Service]\nExecStart={command}\n{extra}"


UNITS = {
    "echo-server": unit("legacy echo server", f"/usr/local/bin/echo_server {SERVER_PORT}"),
    "echo-client": unit("legacy echo client", f"/usr/local/bin/echo_client 127.0.0.1 {SERVER_PORT}"),
    "echo-hardened": unit("legacy echo server, sandboxed", f"/usr/local/bin/echo_server {HARDENED_PORT}",
                          "PrivateTmp=yes\nDynamicUser=yes\nProtectSystem=strict\n"),
}


def directives(text):
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))]


class Systemd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        engines.require_engines("systemd-nspawn", "nsenter")
        engines.become_subreaper()
        cls.machine = engines.BootedSystemd(engines.rootfs_dir())
        cls.addClassCleanup(cls.machine.close)
        deb = engines.the_package()
        cls.machine.copy_in(deb, "/root/" + os.path.basename(deb), mode=0o644)
        for program in engines.LEGACY_PROGRAMS:
            cls.machine.copy_in(os.path.join(engines.ECHO_DIR, program), "/usr/local/bin/" + program)
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

    def install_drop_in(self, name, text):
        self.machine.write(f"/etc/systemd/system/{name}.service.d/tcpkeep.conf", text)

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
