"""examples/container and examples/kubernetes on a real Docker daemon (a private dockerd): the
Debian root file system imported as the base image, the legacy echo programs added as the
"application image", the image built from examples/container's Dockerfile and entrypoint on top of
it (the package installed inside), then:
- a legacy client and server in two containers on a user-defined network, each verified from
  inside with `docker exec … tcpkeep verify`, exit 0;
- `--env TCPKEEP_POLICY=` naming a mounted policy overrides the image's;
- a broken mounted policy: the program runs, and `docker logs` holds exactly one `tcpkeep[PID]:` line;
- the Kubernetes manifest's init container (its command, in the package image) and app container
  (its environment, in the application image without tcpkeep) as two containers sharing the pod's
  volumes, made with the kubelet's modes (tests/deploy/kubelet_volumes.py: a 0777 emptyDir, the
  ConfigMap's layout) and bind-mounted (subPath: the subdirectory), the app verified from the host
  holding the ConfigMap's policy;
- cgroup mode: a statically linked server in an image holding nothing else, examples/container's
  attach-container.sh run from the host attaches a policy to its container's cgroup; the listener
  made before keeps the kernel's values, the next connection (a static client started in the
  container) holds the policy's, read back from the host; after --detach the next one holds the
  kernel's again;
- examples/kubernetes/cgroup-daemonset.yaml: its container's command, image and mounts (the host's
  cgroup v2 hierarchy at /sys/fs/cgroup, its BPF filesystem), its KUBEPODS_CGROUP naming a
  kubepods-like cgroup made for the test: a static program started later in a "pod" cgroup below
  it holds the image's policy; `docker stop` (SIGTERM) detaches. This machine lacks
  CAP_SYS_RESOURCE, which --privileged needs: the container gets what attaching uses instead
  (CAP_SYS_ADMIN, CAP_NET_ADMIN, no seccomp or AppArmor profile)."""
import json
import os
import shutil
import unittest

import engines
import kubelet_volumes
import yaml_subset
from engines import DEFAULT_VALUES, PACKAGE_POLICY, PACKAGE_SHIM, socket_values, verify_report
from tcpkeep_test import OPTIONS, TCP_ESTABLISHED, TCP_LISTEN, remote_values, wait_for_socket

SOURCE = os.environ.get("TCPKEEP_SOURCE_DIR", "")
CONTAINER_EXAMPLE = os.path.join(SOURCE, "examples", "container")
MANIFEST = os.path.join(SOURCE, "examples", "kubernetes", "deployment.yaml")
ATTACH_CONTAINER = os.path.join(CONTAINER_EXAMPLE, "attach-container.sh")
DAEMONSET = os.path.join(SOURCE, "examples", "kubernetes", "cgroup-daemonset.yaml")
BASE_IMAGE = "tcpkeep-engines/debian:bookworm"
STATIC_IMAGE = "tcpkeep-engines/static-echo:1"  # the static echo programs and nothing else
PORT = 7070
CUSTOM_POLICY = 'version = 1\n\n[defaults]\nkeepalive = true\nidle = "33s"\ninterval = "7s"\ncount = 4\nuser_timeout = "off"\n'
CUSTOM_VALUES = [1, 33, 7, 4, 0]
BROKEN_POLICY = "version = 1\n\n[defaults]\nidle = 30\n"  # a bare number: invalid


def on_host(argv):
    """A tcpkeep command line run by the build tree's tcpkeep on the host, as root."""
    return engines.run_host([os.environ["TCPKEEP_TOOL"], *argv[1:]])


def pod():
    with open(MANIFEST) as f:
        return yaml_subset.parse(f.read())["spec"]["template"]["spec"]


def only(items):
    assert len(items) == 1, items
    return items[0]


class Docker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        engines.require_engines("dockerd", "unshare", "tar")
        engines.become_subreaper()
        cls.pod = pod()
        cls.app_image = only(cls.pod["containers"])["image"]  # registry.example.com/legacy-app:1.0
        cls.tcpkeep_image = only(cls.pod["initContainers"])["image"]  # tcpkeep:0.1.0
        cls.daemon = engines.Dockerd()
        cls.addClassCleanup(cls.daemon.close)
        cls.scratch = os.path.join(cls.daemon.root, "scratch")  # removed with the daemon's directories
        cls.daemon.import_rootfs(engines.use_rootfs(), BASE_IMAGE)
        # The application image: a legacy program in a glibc image, no tcpkeep.
        app = cls.context("app", {p: os.path.join(engines.ECHO_DIR, p) for p in engines.LEGACY_PROGRAMS})
        with open(os.path.join(app, "Dockerfile"), "w") as f:
            f.write(f"FROM {BASE_IMAGE}\nCOPY echo_server echo_client /usr/local/bin/\n")
        cls.daemon.docker("build", "-q", "--network", "none", "-t", cls.app_image, app)
        # examples/container on top of it, as its Dockerfile's comment says; the tag the manifest names.
        deb = engines.the_package()
        context = cls.context("tcpkeep", {"Dockerfile": os.path.join(CONTAINER_EXAMPLE, "Dockerfile"),
                                          "entrypoint.sh": os.path.join(CONTAINER_EXAMPLE, "entrypoint.sh"),
                                          os.path.basename(deb): deb})
        # --network none: the package installs from the base image's libraries alone (apt-get update
        # then only warns); the build needs no mirror.
        cls.daemon.docker("build", "-q", "--network", "none", "--build-arg", f"BASE={cls.app_image}",
                          "-t", cls.tcpkeep_image, context, timeout=150)
        if engines.STATIC_ECHO_DIR:
            static = cls.context("static", {p: os.path.join(engines.STATIC_ECHO_DIR, p) for p in engines.STATIC_PROGRAMS})
            with open(os.path.join(static, "Dockerfile"), "w") as f:
                f.write(f"FROM scratch\nCOPY {' '.join(engines.STATIC_PROGRAMS)} /\n")
            cls.daemon.docker("build", "-q", "--network", "none", "-t", STATIC_IMAGE, static)

    @classmethod
    def context(cls, name, files):
        directory = os.path.join(cls.scratch, name)
        os.makedirs(directory)
        for target, source in files.items():
            shutil.copy2(source, os.path.join(directory, target))
        return directory

    def docker(self, *args, **kwargs):
        return self.daemon.docker(*args, **kwargs)

    def run_container(self, *args, name=None):
        """`docker run -d ARGS` (`--network none` unless ARGS name one), named after the test unless
        `name` is given; removed when the test ends. (its name, the host pid of its pid 1)"""
        name = name or self.id().rsplit(".", 1)[-1].replace("_", "-")
        network = () if "--network" in args else ("--network", "none")
        self.docker("run", "-d", "--name", name, *network, *args)
        self.addCleanup(self.docker, "rm", "-f", name, check=False)
        pid = int(self.docker("inspect", "-f", "{{.State.Pid}}", name).stdout)
        self.assertNotEqual(pid, 0, self.docker("logs", name, check=False).stderr)
        return name, pid

    def wait_for(self, host_pid, state):
        """The fd of the process's socket in `state` on PORT, once it has one."""
        return wait_for_socket(host_pid, state, PORT, timeout=20)

    def policy_file(self, name, text):
        directory = os.path.join(self.scratch, self.id().rsplit(".", 1)[-1])
        os.makedirs(directory, mode=0o755)
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def logs_once(self, name, condition):
        """`docker logs NAME` once condition(stdout, stderr) holds (they reach it asynchronously)."""
        def logs():
            r = self.docker("logs", name)
            return r if condition(r.stdout, r.stderr) else None
        return engines.wait_until(logs, f"the logs of {name}", 20)

    def exec_in(self, name):
        return lambda argv: self.docker("exec", name, *argv, check=False)

    def test_client_and_server_on_a_user_network_verified_inside(self):
        network = "legacy-net"
        self.docker("network", "create", network)
        self.addCleanup(self.docker, "network", "rm", network, check=False)
        server_name, server = self.run_container("--network", network, "--cap-add", "SYS_PTRACE", self.tcpkeep_image,
                                                 "echo_server", str(PORT), "0.0.0.0", name="legacy-server")
        self.wait_for(server, TCP_LISTEN)
        client_name, client = self.run_container("--network", network, "--cap-add", "SYS_PTRACE", self.tcpkeep_image,
                                                 "echo_client", server_name, str(PORT), name="legacy-client")
        self.wait_for(client, TCP_ESTABLISHED)
        self.logs_once(client_name, lambda out, err: 'echo_client: got "hello"' in out)
        # The entrypoint exec'd the command: the client is its container's pid 1.
        report = verify_report(self, self.exec_in(client_name), 1, 0)
        self.assertEqual((report["shim"]["loaded"], report["shim"]["path"], report["policy"]),
                         (True, PACKAGE_SHIM, PACKAGE_POLICY), report)
        engines.assert_sockets(self, report, client, {"ESTABLISHED": [DEFAULT_VALUES]})
        # The server: its listener (pid 1), and the connection it accepted in a forked child, which
        # inherits the listener's values.
        r = self.docker("exec", server_name, "tcpkeep", "verify", "echo_server", "--json", check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        reports = {report["pid"]: report for report in json.loads(r.stdout)}
        self.assertEqual(len(reports), 2, reports)
        engines.assert_sockets(self, reports.pop(1), server, {"LISTEN": [DEFAULT_VALUES]})
        self.assertEqual([socket_values(report) for report in reports.values()], [{"ESTABLISHED": [DEFAULT_VALUES]}])
        for name in (server_name, client_name):
            self.assertEqual(self.docker("logs", name).stderr, "")

    def test_mounted_policy_named_by_env_overrides_the_image_policy(self):
        policy = self.policy_file("custom.toml", CUSTOM_POLICY)
        name, server = self.run_container(
            "--cap-add", "SYS_PTRACE", "-v", f"{policy}:/policies/custom.toml:ro",
            "--env", "TCPKEEP_POLICY=/policies/custom.toml", self.tcpkeep_image, "echo_server", str(PORT))
        self.wait_for(server, TCP_LISTEN)
        report = verify_report(self, self.exec_in(name), 1, 0)
        self.assertEqual(report["policy"], "/policies/custom.toml")
        engines.assert_sockets(self, report, server, {"LISTEN": [CUSTOM_VALUES]})
        # From the host, as examples/README.md says: the container's file, read through /proc/PID/root.
        host = verify_report(self, on_host, server, 0)
        self.assertEqual((host["policy"], host["policy_view"]), ("/policies/custom.toml", "process"))
        self.assertEqual(socket_values(host), {"LISTEN": [CUSTOM_VALUES]})

    def test_broken_mounted_policy_leaves_the_program_running_with_one_line(self):
        policy = self.policy_file("broken.toml", BROKEN_POLICY)
        name, server = self.run_container(
            "-v", f"{policy}:/policies/broken.toml:ro", "--env", "TCPKEEP_POLICY=/policies/broken.toml",
            self.tcpkeep_image, "echo_server", str(PORT))
        listener = self.wait_for(server, TCP_LISTEN)
        logs = self.logs_once(name, lambda out, err: out and err)
        self.assertEqual(logs.stdout, f"echo_server: listening on 127.0.0.1 port {PORT}\n")
        # One line, from the program (the container's pid 1): the file, where, why, and what it did.
        self.assertEqual(logs.stderr.splitlines(), ['tcpkeep[1]: /policies/broken.toml:4:8: idle needs a unit; '
                                                    'did you mean "30s"?; sockets left unchanged'])
        # Untouched: the kernel's values (keepalive off, no user timeout).
        values = remote_values(server, listener)
        self.assertEqual((values["ka"], values["user_timeout"]), (0, 0))

    def test_kubernetes_init_container_and_app_container_share_a_volume(self):
        # The volumes as the kubelet makes them (a 0777 emptyDir, the ConfigMap's ..data layout with
        # its defaultMode), bind-mounted as the kubelet has the runtime mount them; subPath binds the
        # subdirectory.
        init, app = only(self.pod["initContainers"]), only(self.pod["containers"])
        node = os.path.join(self.scratch, "kubernetes-pod")
        os.makedirs(node, mode=0o700)
        volume_dirs = {}
        for volume in self.pod["volumes"]:
            if "emptyDir" in volume:
                volume_dirs[volume["name"]] = kubelet_volumes.empty_dir(node, volume["name"])
            else:
                volume_dirs[volume["name"]] = kubelet_volumes.config_map(node, volume["name"], {"policy.toml": CUSTOM_POLICY},
                                                                         volume["configMap"]["defaultMode"])

        def mounts(container):
            read_only = {m["mountPath"]: m.get("readOnly") is True for m in container["volumeMounts"]}
            return [arg for path, host in kubelet_volumes.host_paths(container, volume_dirs).items()
                    for arg in ("-v", f"{host}:{path}{':ro' if read_only[path] else ''}")]

        # The init container: `command` replaces the image's entrypoint, as in Kubernetes.
        command = init["command"]
        r = self.docker("run", "--rm", "--network", "none", *mounts(init), "--entrypoint", command[0],
                        init["image"], *command[1:], check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # The app container: its image (no tcpkeep inside), its environment, its subPath read-only.
        env = [arg for e in app["env"] for arg in ("--env", f"{e['name']}={e['value']}")]
        name, server = self.run_container(*mounts(app), *env, app["image"], "/usr/local/bin/echo_server", str(PORT))
        self.wait_for(server, TCP_LISTEN)
        values = {e["name"]: e["value"] for e in app["env"]}
        report = verify_report(self, on_host, server, 0)
        self.assertEqual((report["shim"]["loaded"], report["shim"]["path"], report["policy"]),
                         (True, values["LD_PRELOAD"], values["TCPKEEP_POLICY"]), report)
        engines.assert_sockets(self, report, server, {"LISTEN": [CUSTOM_VALUES]})  # the ConfigMap's policy
        self.assertEqual(self.docker("logs", name).stderr, "")

    def run_attach_container(self, *args):
        """examples/container/attach-container.sh ARGS from the host, with this test's docker client and
        the build tree's tcpkeep."""
        return engines.run_host([ATTACH_CONTAINER, *args], DOCKER=f"/usr/bin/docker -H unix://{self.daemon.socket}",
                                TCPKEEP=os.environ["TCPKEEP_TOOL"])

    def attach_container(self, *args):
        r = self.run_attach_container(*args)
        self.assertEqual((r.returncode, r.stderr), (0, ""), r.stdout)
        return r.stdout

    def static_client(self, name, server):
        """The static client started in the container `name` (docker exec); its host pid once connected."""
        self.docker("exec", "-d", name, "/echo_client_static", "127.0.0.1", str(PORT))
        known = set(self.clients)
        pid = engines.wait_until(lambda: next(iter(set(engines.processes_like(server, "echo_client_static")) - known), None),
                                 "the static client", 20)
        self.clients.append(pid)
        self.wait_for(pid, TCP_ESTABLISHED)
        return pid

    def test_attach_container_gives_a_static_program_the_policy(self):
        engines.require_cgroup_mode()
        policy = self.policy_file("attach.toml", CUSTOM_POLICY)
        name, server = self.run_container(STATIC_IMAGE, "/echo_server_static", str(PORT))
        listener = self.wait_for(server, TCP_LISTEN)
        with open(f"/proc/{server}/cgroup") as f:
            cgroup = next(line[3:].strip() for line in f if line.startswith("0::"))
        self.clients = []
        # Detached even if the test fails, before the container goes (its cgroup with it).
        self.addCleanup(self.run_attach_container, "--detach", name)
        out = self.attach_container("--policy", policy, name).splitlines()
        self.assertTrue(out[0].startswith(f"attached {policy} ") and out[0].endswith(f" cgroup {cgroup}"), out)
        # The listener existed before: attach gave it the policy through the kernel's TCP iterator.
        self.assertEqual(out[1], "existing sockets: 1 set, 0 left as the program's, 0 skipped (1 network namespace)")
        self.assertIn(cgroup, [line.split("\t")[0] for line in on_host(["tcpkeep", "attached"]).stdout.splitlines()])
        self.assertEqual([remote_values(server, listener)[key] for key, _, _ in OPTIONS], CUSTOM_VALUES)
        unset = engines.kernel_values(server)
        # The next connection: the policy, with no preload.
        client = self.static_client(name, server)
        report = verify_report(self, on_host, client, 0)
        self.assertEqual((report["shim"]["loaded"], report["cgroup_attachment"]["cgroup"],
                          report["cgroup_attachment"]["policy"]), (False, cgroup, policy), report)
        engines.assert_sockets(self, report, client, {"ESTABLISHED": [CUSTOM_VALUES]})

        out = self.attach_container("--detach", name)
        self.assertEqual(out, f"detached from cgroup {cgroup}\n")
        self.assertNotIn(cgroup, on_host(["tcpkeep", "attached"]).stdout)
        client = self.static_client(name, server)
        report = verify_report(self, on_host, client, 1)
        self.assertEqual(report["cgroup_attachment"], None, report)
        engines.assert_sockets(self, report, client, {"ESTABLISHED": [unset]})

    def test_cgroup_daemonset_command_attaches_to_a_kubepods_cgroup(self):
        engines.require_cgroup_mode()
        with open(DAEMONSET) as f:
            daemonset = only(yaml_subset.parse(f.read())["spec"]["template"]["spec"]["containers"])
        self.assertEqual(daemonset["image"], self.tcpkeep_image)
        self.assertEqual(sorted(m["mountPath"] for m in daemonset["volumeMounts"]), ["/sys/fs/bpf", "/sys/fs/cgroup"])
        kubepods = engines.HostCgroup(f"tcpkeep-engines-kubepods-{os.getpid()}")
        self.addCleanup(kubepods.close)
        # Should the container not detach, the attachment goes before the cgroup does.
        self.addCleanup(on_host, ["tcpkeep", "detach", "--cgroup", kubepods.path])
        name = "tcpkeep-cgroup"
        self.addCleanup(self.docker, "rm", "-f", name, check=False)
        command = daemonset["command"]
        self.docker("run", "-d", "--name", name, "--network", "none", "--pid", "host",
                    "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
                    "--security-opt", "apparmor=unconfined",
                    "-v", f"{engines.mount_point('cgroup2')}:/sys/fs/cgroup", "-v", f"{engines.mount_point('bpf')}:/sys/fs/bpf",
                    "--env", f"KUBEPODS_CGROUP=/sys/fs/cgroup{kubepods.path}", "--entrypoint", command[0],
                    daemonset["image"], *command[1:])

        def attached():
            return [line.split("\t") for line in on_host(["tcpkeep", "attached"]).stdout.splitlines()
                    if line.startswith(kubepods.path + "\t")]

        listed = engines.wait_until(attached, "the DaemonSet's container to attach", 20)
        self.assertEqual(listed[0][1].split(" (")[0], f"policy {PACKAGE_POLICY}", listed)
        # A pod started afterwards: a static program in a cgroup below, on this machine's network.
        pod = engines.HostCgroup("pod-static", parent=kubepods.path)
        self.addCleanup(pod.close)
        server = pod.start([os.path.join(engines.STATIC_ECHO_DIR, "echo_server_static"), "0"])
        port = int(server.stdout.readline().split()[-1])
        listener = wait_for_socket(server.pid, TCP_LISTEN, port, timeout=20)
        self.assertEqual([remote_values(server.pid, listener)[key] for key, _, _ in OPTIONS], DEFAULT_VALUES)
        # verify on the node judges by the text the attachment keeps: the file it names lives in the
        # DaemonSet's image, not here.
        report = verify_report(self, on_host, server.pid, 0)
        self.assertEqual((report["ok"], report["policy_origin"], report["policy"]), (True, "cgroup", PACKAGE_POLICY), report)
        # SIGTERM, as the kubelet sends it: the container detaches and exits 0.
        self.docker("stop", "-t", "20", name)
        self.assertEqual(self.docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip(), "0",
                         self.docker("logs", name).stderr)
        self.assertEqual(attached(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
