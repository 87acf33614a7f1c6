"""The network-namespace cases: what the program does, the policy it runs under, how its peer
vanishes, and which `tcpkeep explain --json` field predicts when the blocked call fails.

`python3 cases.py --list` prints the case names (CMake registers one ctest test per case)."""
import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    mode: str              # blocking_client mode: idle, busy, connect, or serve (inbound)
    settings: dict         # the policy rule's settings for this program, port and direction
    predicted_by: str      # explain --json field with the failure time in ms
    errno: str = "ETIMEDOUT"
    vanish: str = "drop"   # drop: the peer falls silent; reset: it answers with RST
    sysctls: dict = field(default_factory=dict)  # set in the program's namespace
    shim: bool = True      # False: the control; no detection is expected within the window
    # "explain": predicted_by is an explain --json field, before the program starts; "verify": a field
    # of the connection's dead_peer in `tcpkeep verify --pid` of the running program, asked just
    # before the peer vanishes (idle: half-way through the idle time), from the socket's TCP_INFO
    predict_with: str = "explain"
    cgroup: bool = False   # a statically linked program given the policy by a cgroup attachment, no shim

    @property
    def direction(self):
        return "inbound" if self.mode == "serve" else "outbound"


KEEPALIVE_2_1_3 = {"keepalive": True, "idle": "2s", "interval": "1s", "count": 3, "user_timeout": "off"}

CASES = {
    # probes at 2, 3, 4 s unanswered: dead at idle + count x interval = 5 s
    "keepalive_only": Case("idle", KEEPALIVE_2_1_3, "detect_idle_ms"),
    # user timeout 3.5 s: dead at the first firing after a probe past it, 4 s; count 5 (7 s) is ignored
    "user_timeout_ignores_count": Case(
        "idle", {"keepalive": True, "idle": "2s", "interval": "1s", "count": 5, "user_timeout": "3500ms"}, "detect_idle_ms"),
    # user timeout 1 s < idle 2 s: it cannot abort before a probe went out, so idle + interval = 4 s
    "user_timeout_below_idle": Case(
        "idle", {"keepalive": True, "idle": "2s", "interval": "2s", "count": 5, "user_timeout": "1s"}, "detect_idle_ms"),
    # unacknowledged data: the retransmission timer, bounded by the user timeout (no keepalive at all)
    "busy_user_timeout": Case("busy", {"user_timeout": "3s"}, "detect_busy_ms"),
    # unacknowledged data, no user timeout: tcp_retries2 = 1 in this namespace -> the limit is 3 x RTO_MIN
    # = 600 ms after the first timeout retransmission (at 408 ms), passed at the 2nd firing after it
    # (1224 ms later, dead at 1632 ms). Why 1: with a LAN RTO of 204 ms (51 ticks at HZ=250) the firing
    # before the one that passes 15 x 200 ms (retries2 3) comes 2856 ms after the clock starts, only
    # 144 ms short; the timer wheel fires each timer up to 32 ms late and a loaded machine adds more,
    # so retries2 3 and 4 flip between two firings seconds apart. Here the margin is 192 ms.
    "busy_retries2": Case("busy", {"user_timeout": "off"}, "detect_busy_ms", sysctls={"net.ipv4.tcp_retries2": 1}),
    # the server is the program under the shim (listener configured, accepted socket inherits); the client vanishes
    "inbound": Case("serve", {"keepalive": True, "idle": "2s", "interval": "1s", "count": 2, "user_timeout": "off"},
                    "detect_idle_ms"),
    # SYNs to a blackholed peer: connect() gives up at the user timeout, 3 s (not after tcp_syn_retries, 127 s)
    "connect_blackhole": Case("connect", {"user_timeout": "3s"}, "detect_connect_ms"),
    # the peer answers the first probe with RST
    "peer_reset": Case("idle", KEEPALIVE_2_1_3, "detect_reset_ms", errno="ECONNRESET", vanish="reset"),
    # the live prediction of verify, half-way through idle: 4 s + 2 x 1 s after the echo, minus the 2 s passed
    "verify_idle_midway": Case("idle", {"keepalive": True, "idle": "4s", "interval": "1s", "count": 2, "user_timeout": "off"},
                               "detect_in_ms", predict_with="verify"),
    # the live prediction of verify for data sent now (the live RTO, then the user timeout), asked just before the drop
    "verify_busy": Case("busy", {"user_timeout": "3s"}, "if_sending_ms", predict_with="verify"),
    # cgroup mode: a static program (the shim cannot load) in an attached cgroup, outbound, inbound, connect
    "cgroup_keepalive_static": Case("idle", KEEPALIVE_2_1_3, "detect_idle_ms", cgroup=True),
    "cgroup_inbound_static": Case("serve", {"keepalive": True, "idle": "2s", "interval": "1s", "count": 2, "user_timeout": "off"},
                                  "detect_idle_ms", cgroup=True),
    "cgroup_connect_blackhole_static": Case("connect", {"user_timeout": "3s"}, "detect_connect_ms", cgroup=True),
    # case 1 without the shim: still blocked after the window, so the shim is what detected it above
    "control_no_shim": Case("idle", KEEPALIVE_2_1_3, "detect_idle_ms", shim=False),
}

if __name__ == "__main__" and sys.argv[1:] == ["--list"]:
    print("\n".join(CASES))
