"""examples/kubernetes/deployment.yaml: it parses (a strict YAML subset); its init container copies
the package's shim and engine and the ConfigMap's policy into a 0755 directory it makes in the
emptyDir, which the app container mounts alone (subPath) and whose copies its LD_PRELOAD and
TCPKEEP_POLICY name. Then the pod is acted out on the host with the volumes as the kubelet makes
them (tests/deploy/kubelet_volumes.py: emptyDir 0777, the ConfigMap's atomic-writer layout and
defaultMode): the init command runs on them, and a program started with the app container's
environment, in a mount namespace where the subPath is bind-mounted at the container's path, holds
the policy's values. The recipe before (the files straight in the emptyDir, or the policy straight
from the ConfigMap volume) is refused by the shim under those modes.
examples/kubernetes/cgroup-daemonset.yaml: a privileged DaemonSet from the same package image with
the host's cgroup hierarchy and BPF filesystem mounted over the container's own, whose command
attaches to the kubepods cgroup and detaches on SIGTERM; on a machine with no kubepods cgroup it
exits 2 with one line. tests/engines runs the command under Docker on a kubepods-like cgroup."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import kubelet_volumes
import yaml_subset
from deploytest import EXAMPLES, HOLD, PACKAGE, STAGED, Program, assert_holds, clean_env, substitute
from tcpkeep_test import KERNEL_DEFAULTS, remote_values, tcp_sockets

MANIFEST = os.path.join(EXAMPLES, "kubernetes", "deployment.yaml")
DAEMONSET = os.path.join(EXAMPLES, "kubernetes", "cgroup-daemonset.yaml")
# The ConfigMap's policy: not the package's, so the values show which file the shim read.
CONFIG_MAP_POLICY = 'version = 1\n\n[defaults]\nkeepalive = true\nidle = "33s"\ninterval = "7s"\ncount = 4\nuser_timeout = "off"\n'
CONFIG_MAP_VALUES = [1, 33, 7, 4, 0]
REFUSED = r"^tcpkeep\[\d+\]: .*policy refused: {} is writable by every user \(mode 0777, no sticky bit\)"


def pod():
    with open(MANIFEST) as f:
        deployment = yaml_subset.parse(f.read())
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment"), deployment
    return deployment["spec"]["template"]["spec"]


def only(items):
    assert len(items) == 1, items
    return items[0]


def in_mount_namespace(binds, argv):
    """argv run in a private mount namespace where each {mount point: source} is bind-mounted, as a
    container runtime mounts a pod's volumes (root: a user namespace otherwise)."""
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    script = "".join(f'mount --bind "${{{2 * i + 1}}}" "${{{2 * i + 2}}}" && ' for i in range(len(binds))) + f'shift {2 * len(binds)} && exec "$@"'
    pairs = [arg for target, source in binds.items() for arg in (source, target)]
    return ["unshare", *user, "--mount", "--propagation", "private", "sh", "-c", script, "sh", *pairs, *argv]


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.pod = pod()
        self.volumes = {v["name"]: v for v in self.pod["volumes"]}
        self.init = only(self.pod["initContainers"])
        self.app = only(self.pod["containers"])
        self.dir = tempfile.mkdtemp()  # the node's pod directory: root's, 0700
        self.addCleanup(shutil.rmtree, self.dir)

    def kubelet_volumes(self):
        """{volume name: host directory}, made as the kubelet makes them."""
        made = {}
        for name, volume in self.volumes.items():
            if "emptyDir" in volume:
                self.assertEqual(volume["emptyDir"], {})
                made[name] = kubelet_volumes.empty_dir(self.dir, name)
            else:
                source = volume["configMap"]
                self.assertEqual(set(source), {"name", "defaultMode"})
                made[name] = kubelet_volumes.config_map(self.dir, name, {"policy.toml": CONFIG_MAP_POLICY}, source["defaultMode"])
        return made

    def test_volumes_and_mounts(self):
        self.assertEqual(sorted(self.volumes), ["tcpkeep", "tcpkeep-policy"])
        self.assertEqual(self.volumes["tcpkeep"]["emptyDir"], {})
        self.assertEqual(self.volumes["tcpkeep-policy"]["configMap"], {"name": "tcpkeep-policy", "defaultMode": 0o444})
        # The app container sees only the directory the init container made, read-only.
        self.assertEqual(self.app["volumeMounts"], [{"name": "tcpkeep", "mountPath": "/tcpkeep", "subPath": "lib", "readOnly": True}])
        env = {e["name"]: e["value"] for e in self.app["env"]}
        self.assertEqual(env, {"LD_PRELOAD": "/tcpkeep/libtcpkeep.so", "TCPKEEP_POLICY": "/tcpkeep/policy.toml"})

    def test_init_command_names_the_package_paths(self):
        self.assertEqual(self.init["command"][:2], ["/bin/sh", "-c"])
        script = self.init["command"][2]
        self.assertEqual(subprocess.run(["sh", "-n", "-c", script]).returncode, 0)
        self.assertIn(f"install -m 0644 -t /volume/lib {PACKAGE.shim} {PACKAGE.engine};", script)
        self.assertIn("install -d -m 0755 /volume/lib;", script)

    def run_init(self, volume_dirs):
        """The init container's command on the host, its mount paths and the package's paths replaced by
        the volumes' directories and the staged install tree."""
        script = substitute(self.init["command"][2], PACKAGE, STAGED)
        for mount_path, host in kubelet_volumes.host_paths(self.init, volume_dirs).items():
            script = re.sub(r"(?<![\w/.-])" + re.escape(mount_path) + r"(?=[/ ;]|$)", host, script)
        subprocess.run(["sh", "-c", script], check=True)

    def test_the_pod_acted_out_with_the_kubelets_modes(self):
        volume_dirs = self.kubelet_volumes()
        self.run_init(volume_dirs)
        lib = os.path.join(volume_dirs["tcpkeep"], "lib")
        self.assertEqual([oct(os.stat(p).st_mode & 0o7777) for p in (volume_dirs["tcpkeep"], lib)], ["0o777", "0o755"])
        self.assertEqual(sorted((n, oct(os.stat(os.path.join(lib, n)).st_mode & 0o7777)) for n in os.listdir(lib)),
                         [("libtcpkeep-engine.so", "0o644"), ("libtcpkeep.so", "0o644"), ("policy.toml", "0o644")])
        # The app container: its mounts at the container's paths (moved below a directory of this
        # test's), the subPath bind-mounted, and its environment for the program alone.
        root = os.path.join(self.dir, "app-root")
        os.mkdir(root, 0o755)
        binds = {}
        for mount_path, host in kubelet_volumes.host_paths(self.app, volume_dirs).items():
            os.makedirs(root + mount_path, 0o755)
            binds[root + mount_path] = host
        env = [f"{e['name']}={root}{e['value']}" for e in self.app["env"]]
        with Program(in_mount_namespace(binds, ["env", *env, HOLD, "4"]), env=clean_env(), cwd="/") as p:
            assert_holds(self, p, CONFIG_MAP_VALUES, shim=root + "/tcpkeep/libtcpkeep.so", policy=root + "/tcpkeep/policy.toml",
                         tool=STAGED.tool)
            self.assertEqual(p.stderr(), "")

    def assert_refused(self, env, refused_dir):
        with Program([HOLD, "4"], env=clean_env(**env), cwd="/") as p:
            with open(f"/proc/{p.pid}/maps") as f:
                self.assertIn(env["LD_PRELOAD"], f.read())  # the shim is loaded, and leaves the sockets alone
            sockets = tcp_sockets(p.pid)
            self.assertEqual(len(sockets), 3)
            for fd in sockets:
                self.assertEqual(remote_values(p.pid, fd), KERNEL_DEFAULTS)
            self.assertRegex(p.stderr(), REFUSED.format(re.escape(refused_dir)))

    def test_the_recipe_before_fails_under_the_kubelets_modes(self):
        volume_dirs = self.kubelet_volumes()
        # The files copied straight into the emptyDir, which the app container mounted whole.
        empty = volume_dirs["tcpkeep"]
        subprocess.run(["cp", STAGED.shim, STAGED.engine, STAGED.policy, empty + "/"], check=True)
        with self.subTest("emptyDir"):
            self.assert_refused({"LD_PRELOAD": f"{empty}/libtcpkeep.so", "TCPKEEP_POLICY": f"{empty}/policy.toml"}, empty)
        # The policy straight from the ConfigMap volume, as the recipe suggested for managing it apart.
        with self.subTest("configMap"):
            config = volume_dirs["tcpkeep-policy"]
            self.assert_refused({"LD_PRELOAD": f"{empty}/libtcpkeep.so", "TCPKEEP_POLICY": f"{config}/policy.toml"}, config)

    def test_subset_reader_is_strict(self):
        for bad in ("a: 1\n\tb: 2\n", "a: &anchor 1\n", "a: [1]\n", "a: 1\na: 2\n", "a: |\n  text\n", "a: 1\n---\nb: 2\n"):
            with self.subTest(text=bad), self.assertRaises(yaml_subset.YamlError):
                yaml_subset.parse(bad)


def daemonset():
    with open(DAEMONSET) as f:
        manifest = yaml_subset.parse(f.read())
    assert (manifest["apiVersion"], manifest["kind"]) == ("apps/v1", "DaemonSet"), manifest
    return manifest


class CgroupDaemonSet(unittest.TestCase):
    def setUp(self):
        self.manifest = daemonset()
        self.pod = self.manifest["spec"]["template"]["spec"]
        self.container = only(self.pod["containers"])

    def test_selector_matches_the_template(self):
        self.assertEqual(self.manifest["spec"]["selector"]["matchLabels"], self.manifest["spec"]["template"]["metadata"]["labels"])

    def test_privileged_with_the_host_cgroup_and_bpf_filesystems(self):
        self.assertEqual(self.container["securityContext"], {"privileged": True})
        self.assertIs(self.pod["hostPID"], True)
        host_paths = {v["name"]: v["hostPath"] for v in self.pod["volumes"]}
        mounts = {m["name"]: m for m in self.container["volumeMounts"]}
        self.assertEqual(set(host_paths), set(mounts))
        # Each host directory mounted at the same path, over the container's own.
        for name, host in host_paths.items():
            self.assertEqual((host["type"], mounts[name]["mountPath"]), ("Directory", host["path"]), name)
            self.assertNotIn("readOnly", mounts[name])
        self.assertEqual(sorted(h["path"] for h in host_paths.values()), ["/sys/fs/bpf", "/sys/fs/cgroup"])
        bpffs = next(m for m in mounts.values() if m["mountPath"] == "/sys/fs/bpf")
        self.assertEqual(bpffs["mountPropagation"], "Bidirectional")

    def test_same_image_as_the_deployment_init_container(self):
        self.assertEqual(self.container["image"], only(pod()["initContainers"])["image"])

    def test_command_attaches_and_detaches_on_sigterm(self):
        command = self.container["command"]
        self.assertEqual(command[:2], ["/bin/sh", "-c"])
        script = command[2]
        self.assertEqual(subprocess.run(["sh", "-n", "-c", script]).returncode, 0)
        self.assertIn('tcpkeep attach --cgroup "$cg" || exit 2', script)
        self.assertIn("""trap 'tcpkeep detach --cgroup "$cg"; exit 0' TERM INT""", script)
        self.assertLess(script.index("trap "), script.index("tcpkeep attach"))  # no window without a detach

    def test_command_without_a_kubepods_cgroup_says_so(self):
        for candidate in ("/sys/fs/cgroup/kubepods.slice", "/sys/fs/cgroup/kubepods"):
            self.assertFalse(os.path.exists(candidate), f"{candidate} exists: this machine runs a kubelet")
        env = {e["name"]: e["value"] for e in self.container["env"]}
        self.assertEqual(env, {"KUBEPODS_CGROUP": ""})
        r = subprocess.run(self.container["command"], capture_output=True, text=True, timeout=30,
                           env=clean_env(KUBEPODS_CGROUP=""), cwd="/")
        self.assertEqual((r.returncode, r.stdout), (2, ""))
        self.assertEqual(r.stderr, "tcpkeep-cgroup: no kubepods cgroup in /sys/fs/cgroup (is the node on cgroup v2?); "
                                   "set KUBEPODS_CGROUP\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
