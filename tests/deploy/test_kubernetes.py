"""examples/kubernetes/deployment.yaml: it parses (a strict YAML subset), its init container copies
the package's shim, engine and policy into the emptyDir the app container mounts, and the app
container's LD_PRELOAD and TCPKEEP_POLICY name those copies. Then the pod is acted out on the host:
the init command copies from the staged install tree into a scratch directory, and a program
started with the app container's environment holds the policy's values: the three files suffice.
examples/kubernetes/cgroup-daemonset.yaml: a privileged DaemonSet from the same package image with
the host's cgroup hierarchy and BPF filesystem mounted over the container's own, whose command
attaches to the kubepods cgroup and detaches on SIGTERM; on a machine with no kubepods cgroup it
exits 2 with one line. tests/engines runs the command under Docker on a kubepods-like cgroup."""
import os
import subprocess
import tempfile
import unittest

import yaml_subset
from deploytest import DEFAULT_VALUES, EXAMPLES, HOLD, PACKAGE, STAGED, Program, assert_holds, clean_env, substitute

MANIFEST = os.path.join(EXAMPLES, "kubernetes", "deployment.yaml")
DAEMONSET = os.path.join(EXAMPLES, "kubernetes", "cgroup-daemonset.yaml")


def pod():
    with open(MANIFEST) as f:
        deployment = yaml_subset.parse(f.read())
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment"), deployment
    return deployment["spec"]["template"]["spec"]


def only(items):
    assert len(items) == 1, items
    return items[0]


def mount_of(container, volume):
    return only([m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume])


class Kubernetes(unittest.TestCase):
    def setUp(self):
        self.pod = pod()
        volume = only(self.pod["volumes"])
        self.assertEqual(volume["emptyDir"], {})
        self.volume = volume["name"]
        self.init = only(self.pod["initContainers"])
        self.app = only(self.pod["containers"])
        self.mount = mount_of(self.init, self.volume)

    def test_paths_agree_with_the_install_layout(self):
        self.assertEqual(self.init["command"], ["cp", PACKAGE.shim, PACKAGE.engine, PACKAGE.policy, self.mount + "/"])
        self.assertEqual(mount_of(self.app, self.volume), self.mount)
        env = {e["name"]: e["value"] for e in self.app["env"]}
        self.assertEqual(env, {"LD_PRELOAD": f"{self.mount}/libtcpkeep.so", "TCPKEEP_POLICY": f"{self.mount}/policy.toml"})

    def test_the_pod_acted_out(self):
        with tempfile.TemporaryDirectory() as empty_dir:
            # The init container: its command, with the package's paths moved to the staged tree.
            command = [substitute(arg, PACKAGE, STAGED) for arg in self.init["command"][:-1]] + [empty_dir + "/"]
            subprocess.run(command, check=True)
            # The app container: its environment, the volume mounted at `empty_dir`.
            env = clean_env(**{e["name"]: e["value"].replace(self.mount + "/", empty_dir + "/") for e in self.app["env"]})
            with Program([HOLD, "4"], env=env, cwd="/") as p:
                assert_holds(self, p, DEFAULT_VALUES, shim=os.path.join(empty_dir, "libtcpkeep.so"),
                             policy=os.path.join(empty_dir, "policy.toml"), tool=STAGED.tool)
                self.assertEqual(p.stderr(), "")

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
