"""examples/kubernetes/deployment.yaml: it parses (a strict YAML subset), its init container copies
the package's shim, engine and policy into the emptyDir the app container mounts, and the app
container's LD_PRELOAD and TCPKEEP_POLICY name those copies. Then the pod is acted out on the host:
the init command copies from the staged install tree into a scratch directory, and a program
started with the app container's environment holds the policy's values: the three files suffice."""
import os
import subprocess
import tempfile
import unittest

import yaml_subset
from deploytest import DEFAULT_VALUES, EXAMPLES, HOLD, PACKAGE, STAGED, Program, assert_holds, clean_env, substitute

MANIFEST = os.path.join(EXAMPLES, "kubernetes", "deployment.yaml")


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


if __name__ == "__main__":
    unittest.main(verbosity=2)
