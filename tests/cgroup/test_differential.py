"""The same program under the shim and in an attached cgroup, with one policy of port, peer
(IPv4, IPv6 and v4-mapped), direction, skip and process rules, run under two names (python3, which
the process rules select by its command name, and a symlink to it by another name, which only the
rule naming the executable's file name selects): every socket (listener, client, accepted) holds
identical values both ways, and the values the policy states; and the same sockets made before the
attach, which the attach reaches through the TCP iterator, too."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest

from cgrouptest import SHIM, SOCKET_TRIPLE, Cgroup, main, require_cgroup_root, tool, write_policy

DEFAULTS = [1, 61, 11, 5, 9000]


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class DifferentialTest(unittest.TestCase):
    def setUp(self):
        require_cgroup_root(self)
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def test_shim_and_cgroup_decide_alike(self):
        db, skipped, ranged, local_only, other, python_out, by_exe, python_in = sorted(free_ports(8))
        exe = os.path.basename(os.path.realpath(sys.executable))  # python3.11: the executable's file name
        self.assertNotEqual(exe, "python3")
        other_name = os.path.join(self.dir.name, "othername")
        os.symlink(os.path.realpath(sys.executable), other_name)
        policy = write_policy(self.dir.name, "p.toml", f"""version = 1
[defaults]
keepalive = true
idle = "61s"
interval = "11s"
count = 5
user_timeout = "9s"

[[rule]]
name = "db"
direction = "outbound"
ports = [{db}]
idle = "30s"
user_timeout = "7s"

[[rule]]
name = "skipped"
ports = [{skipped}]
action = "skip"

[[rule]]
name = "python3 outbound"
direction = "outbound"
process = ["python3"]
ports = [{python_out}]
idle = "20s"

[[rule]]
name = "by the executable's name"
process = ["{exe}"]
ports = [{by_exe}]
count = 7

[[rule]]
name = "python3 serving 127.0.0.2 and ::1"
direction = "inbound"
process = ["python3", "not-this-one"]
peers = ["127.0.0.2/32", "::1"]
ports = [{python_in}]
interval = "4s"

[[rule]]
name = "serving otherwise"
direction = "inbound"
ports = [{python_in}]
idle = "50s"

[[rule]]
name = "second loopback and ::1"
peers = ["127.0.0.2/32", "::1"]
idle = "45s"
count = 3

[[rule]]
name = "inbound range"
direction = "inbound"
ports = ["{ranged}-{ranged + 1}"]
interval = "2s"

[[rule]]
name = "loopback block"
peers = ["127.0.0.0/8"]
ports = [{local_only}]
keepalive = false
enforce = true

[[rule]]
name = "python3 anywhere else"
process = ["python3"]
user_timeout = "8s"
""")
        check = tool("check", "--cgroup", policy)
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertEqual(check.stdout.splitlines()[-1],
                         f"{policy}: cgroup mode: can be attached (tcpkeep attach); it decides every socket as the shim does except as noted")
        hosts = [("127.0.0.1", "127.0.0.1"), ("127.0.0.2", "127.0.0.2"), ("::1", "::1"), ("127.0.0.2", "::ffff:127.0.0.2"),
                 ("127.0.0.1", "::ffff:127.0.0.1")]
        shim_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TCPKEEP_LOG")}
        shim_env.update(LD_PRELOAD=":".join(filter(None, (os.environ.get("TCPKEEP_SANITIZER_PRELOAD"), SHIM))), TCPKEEP_POLICY=policy)
        plain_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "TCPKEEP_POLICY")}
        results, shim_results = {}, {}
        with Cgroup() as cg:
            cg.attach(self, policy)
            for program in ("python3", other_name):
                for port in (db, skipped, ranged, local_only, other, python_out, by_exe, python_in):
                    for listen_host, connect_host in hosts:
                        argv = [program, SOCKET_TRIPLE, listen_host, connect_host, str(port)]
                        shim = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=shim_env)
                        self.assertEqual(shim.returncode, 0, shim.stderr)
                        rc, out, err = cg.run(argv, env=plain_env)
                        self.assertEqual(rc, 0, err)
                        case = (os.path.basename(program), port, connect_host)
                        shim_results[case] = shim.stdout
                        results[case] = json.loads(out)
                        self.assertEqual(results[case], json.loads(shim.stdout), case)
        sockets = 3 * len(results)
        self.assertEqual(sockets, 240)
        # The same 240 sockets made before the attach: the TCP iterator decides them as the shim does.
        existing = {}
        for program in ("python3", other_name):
            for group in (hosts[:3], hosts[3:]):  # hosts[3:] listen on addresses hosts[:3] use
                with Cgroup() as cg:
                    held = {}
                    for port in (db, skipped, ranged, local_only, other, python_out, by_exe, python_in):
                        for listen_host, connect_host in group:
                            proc = cg.start([program, SOCKET_TRIPLE, listen_host, connect_host, str(port), "hold"], stdin=subprocess.PIPE,
                                            env=plain_env)
                            self.assertEqual(proc.stdout.readline(), "ready\n", proc.stderr)
                            held[(os.path.basename(program), port, connect_host)] = proc
                    attached = cg.attach(self, policy)
                    self.assertIn(f"existing sockets: ", attached.stdout)
                    for case, proc in held.items():
                        out, err = proc.communicate("go\n", timeout=30)
                        self.assertEqual(proc.returncode, 0, err)
                        existing[case] = json.loads(out)
        self.assertEqual(3 * len(existing), 240)
        for case, values in existing.items():
            self.assertEqual(values, json.loads(shim_results[case]), case)

        python = {key[1:]: value for key, value in results.items() if key[0] == "python3"}
        results = {key[1:]: value for key, value in results.items() if key[0] == "othername"}
        peer = [1, 45, 11, 3, 9000]
        kernel = results[(skipped, "127.0.0.1")]["client"]
        self.assertEqual(results[(db, "127.0.0.1")]["client"], [1, 30, 11, 5, 7000])
        self.assertEqual(results[(db, "127.0.0.2")]["client"], [1, 30, 11, 5, 7000])  # "db" comes first
        self.assertEqual(results[(other, "127.0.0.2")]["client"], peer)
        self.assertEqual(results[(other, "::ffff:127.0.0.2")]["client"], peer)  # v4-mapped is v4
        self.assertEqual(results[(other, "::1")], {"listener": kernel, "client": peer, "accepted": peer})
        self.assertEqual(results[(other, "127.0.0.1")]["client"], DEFAULTS)
        self.assertEqual(results[(skipped, "::1")]["client"], kernel)  # "skipped" comes before the peer rule
        self.assertEqual((kernel[0], kernel[4]), (0, 0))
        self.assertEqual(results[(ranged, "127.0.0.1")]["accepted"], [1, 61, 2, 5, 9000])
        self.assertEqual(results[(local_only, "127.0.0.1")]["client"], [0, 61, 11, 5, 9000])
        # Process rules: python3 by its command name, both names by the executable's file name.
        self.assertEqual(python[(other, "127.0.0.1")]["client"], [1, 61, 11, 5, 8000])
        self.assertEqual(python[(db, "127.0.0.1")]["client"], [1, 30, 11, 5, 7000])  # "db" comes first
        self.assertEqual(python[(python_out, "127.0.0.1")], {"listener": kernel, "client": [1, 20, 11, 5, 9000],
                                                             "accepted": [1, 61, 11, 5, 8000]})
        self.assertEqual(results[(python_out, "127.0.0.1")]["client"], DEFAULTS)
        self.assertEqual(python[(by_exe, "127.0.0.1")]["client"], [1, 61, 11, 7, 9000])
        self.assertEqual(results[(by_exe, "127.0.0.1")]["client"], [1, 61, 11, 7, 9000])
        # Inbound with process and peers: python3's listener leaves each accepted socket to its peer, matched with the
        # listening process; the other name's listener has no rule with peers before "serving otherwise" and is configured.
        serving = [1, 50, 11, 5, 9000]
        # (on loopback every IPv4 client connects from 127.0.0.1, so only ::1 is a peer of that rule)
        self.assertEqual(python[(python_in, "::1")], {"listener": kernel, "client": peer, "accepted": [1, 61, 4, 5, 9000]})
        self.assertEqual(python[(python_in, "127.0.0.2")], {"listener": kernel, "client": peer, "accepted": serving})
        self.assertEqual(python[(python_in, "127.0.0.1")]["accepted"], serving)
        self.assertEqual(results[(python_in, "127.0.0.2")], {"listener": serving, "client": peer, "accepted": serving})
        self.assertEqual(results[(python_in, "::1")], {"listener": serving, "client": peer, "accepted": serving})


if __name__ == "__main__":
    main()
