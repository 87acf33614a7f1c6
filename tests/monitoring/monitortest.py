"""Shared by the monitoring tests: a cgroup of the test's own, the real node_exporter and Prometheus
started on free loopback ports with temporary directories, and reading what they serve."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from host import cgroup2_mount, free_port, stop_process

PROMTOOL = "/usr/bin/promtool"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = "/usr/bin/prometheus"


def require_programs(test, *programs):
    """The Debian packages are installed by scripts/test (tcpkeep_packages): missing is a failure."""
    missing = [p for p in programs if not os.access(p, os.X_OK)]
    if missing:
        test.fail(f"missing {' '.join(missing)}: install prometheus and prometheus-node-exporter")




class TestCgroup:
    """A cgroup v2 directory (and children made with child()) removed at cleanup."""

    def __init__(self, test, name):
        self.path = f"/{name}-{os.getpid()}"
        self.mount = cgroup2_mount()
        self.made = []
        self.child("")
        test.addCleanup(self.remove)

    def child(self, name):
        """The cgroup path of child `name` ("" for the cgroup itself), made on first use."""
        path = self.path + ("/" + name if name else "")
        directory = self.mount + path
        if not os.path.isdir(directory):
            os.mkdir(directory)
            self.made.append(directory)
        return path

    def joined(self, path, *cmd):
        """cmd started inside cgroup `path` (the shell joins it, then execs)."""
        return ["sh", "-c", f'echo $$ > {self.mount}{path}/cgroup.procs && exec "$@"', "sh", *cmd]

    def remove(self):
        for directory in reversed(self.made):
            for _ in range(50):  # killed processes leave the cgroup once reaped
                try:
                    os.rmdir(directory)
                    break
                except OSError:
                    time.sleep(0.1)




def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_until(what, check, timeout=60, interval=0.2):
    """check()'s first true value within timeout seconds, else an AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except OSError as e:  # not listening yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


class Server:
    """A program serving HTTP on 127.0.0.1:port, stopped (and its directory removed) at cleanup."""

    def __init__(self, test, argv, port, ready_path):
        self.port = port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        test.addCleanup(self.stop)
        wait_until(f"{argv[0]} serving {ready_path}", lambda: self.proc.poll() is None and http_get(self.url(ready_path)) is not None,
                   timeout=60)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def node_exporter(test, textfile_dir):
    """node_exporter with only the textfile collector, reading textfile_dir."""
    port = free_port()
    return Server(test, [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
                         "--collector.textfile", f"--collector.textfile.directory={textfile_dir}"], port, "/metrics")


def prometheus(test, target_port, rule_files=()):
    """Prometheus scraping 127.0.0.1:target_port every second, its data in a temporary directory."""
    directory = tempfile.mkdtemp(prefix="tcpkeep-prometheus-")
    test.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    config = os.path.join(directory, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
        if rule_files:
            f.write("rule_files:\n" + "".join(f"  - {path}\n" for path in rule_files))
        f.write(f"scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
    port = free_port()
    return Server(test, [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={directory}/data",
                         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"], port, "/-/ready")


def query(server, expression):
    """An instant query's result: {frozenset(labels without __name__, job, instance): value}."""
    body = json.loads(http_get(server.url("/api/v1/query?" + urllib.parse.urlencode({"query": expression}))))
    if body["status"] != "success":
        raise AssertionError(body)
    ignored = {"__name__", "job", "instance"}
    return {frozenset((k, v) for k, v in r["metric"].items() if k not in ignored): float(r["value"][1]) for r in body["data"]["result"]}


def parse_exposition(text):
    """{(name, frozenset(labels)): value} from the text format, HELP and TYPE lines by name."""
    samples, help_, types = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, rest = line[7:].partition(" ")
            help_[name] = rest
        elif line.startswith("# TYPE "):
            name, _, rest = line[7:].partition(" ")
            types[name] = rest
        elif line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            name, _, labels = series.partition("{")
            samples[(name, frozenset(parse_labels(labels.rstrip("}"))))] = float(value)
    return samples, help_, types


def parse_labels(text):
    """'a="x",b="y\\"z"' as [(a, x), (b, y"z)], escapes undone."""
    out, i = [], 0
    while i < len(text):
        eq = text.index("=", i)
        name, i, value = text[i:eq], eq + 2, []
        while text[i] != '"':
            if text[i] == "\\":
                value.append({"\\": "\\", '"': '"', "n": "\n"}[text[i + 1]])
                i += 2
            else:
                value.append(text[i])
                i += 1
        out.append((name, "".join(value)))
        i += 2 if i + 1 < len(text) and text[i + 1] == "," else 1
    return out
