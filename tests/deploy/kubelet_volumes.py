"""Pod volumes with the modes and layout the kubelet really gives them (read from its source; no
kubelet runs here), for acting pods out on the host (tests/deploy) and under Docker (tests/engines):
- emptyDir (pkg/volume/emptydir): a directory made and then chmod'ed to 0777, whatever the umask;
- configMap (pkg/volume/configmap): an emptyDir (0777 too) that the atomic writer
  (pkg/volume/util/atomic_writer.go) fills: a directory "..<UTC time>.<random>" chmod'ed 0755 holding
  each key as a file with the volume's defaultMode, a symlink "..data" to that directory, and for each
  key a symlink "<key>" -> "..data/<key>";
- a volumeMount with subPath: a bind mount of that path inside the volume (the mount point shows the
  subdirectory's own mode).
Everything is owned by the user running the test (root on a node: the kubelet runs as root)."""
import os
import tempfile
import time


def empty_dir(parent, name):
    path = os.path.join(parent, name)
    os.mkdir(path)
    os.chmod(path, 0o777)
    return path


def config_map(parent, name, data, default_mode):
    """A configMap volume holding `data` ({key: text})."""
    root = empty_dir(parent, name)
    stamp = tempfile.mkdtemp(dir=root, prefix=time.strftime("..%Y_%m_%d_%H_%M_%S.", time.gmtime()))
    os.chmod(stamp, 0o755)
    for key, text in data.items():
        with open(os.path.join(stamp, key), "w") as f:
            f.write(text)
        os.chmod(os.path.join(stamp, key), default_mode)
    os.symlink(os.path.basename(stamp), os.path.join(root, "..data"))
    for key in data:
        os.symlink(os.path.join("..data", key), os.path.join(root, key))
    return root


def host_paths(container, volume_dirs):
    """{mountPath: host directory} for a container's volumeMounts, given {volume name: host directory}
    (subPath resolved to the subdirectory it binds)."""
    return {m["mountPath"]: os.path.join(volume_dirs[m["name"]], m.get("subPath", "")).rstrip("/") for m in container["volumeMounts"]}
