"""verify predicts, per live socket, when a peer dying now would be noticed: from the socket's own
values and TCP_INFO, with explain's model. Idle loopback connections here; the busy case on a real
path is a netns test (tests/netns)."""
import time
import unittest

from tooltest import HOLD, Target, main, target_env, tool, tool_json


class DeadPeer(unittest.TestCase):
    def test_idle_sockets_under_the_shim(self):
        started = time.monotonic()
        with Target([HOLD, "4"], env=target_env(preload=True)) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=0)
            silent_at_most_ms = (time.monotonic() - started) * 1000
            by_state = {}
            for s in report["sockets"]:
                by_state.setdefault(s["state"], []).append(s["dead_peer"])
            self.assertEqual(by_state["LISTEN"], [None])
            self.assertEqual(len(by_state["ESTABLISHED"]), 2)
            for p in by_state["ESTABLISHED"]:
                # The embedded default: 60 s + 6 x 10 s = 120 s after the last segment received,
                # which was the handshake, at most `silent_at_most_ms` ago.
                self.assertEqual((p["now"], p["approximate"]), ("idle", False), p)
                self.assertLessEqual(p["detect_in_ms"], 120_000)
                # TCP_INFO counts the silence in whole kernel ticks (4 ms at HZ=250, 10 ms at 100),
                # so it may exceed the wall-clock bound by one tick.
                self.assertGreaterEqual(p["detect_in_ms"], 120_000 - silent_at_most_ms - 10)
                # Loopback: the RTO is the floor, rto_min 200 ms plus at most a few ticks.
                self.assertGreaterEqual(p["rto_ms"], 200)
                self.assertLess(p["rto_ms"], 250)
                # Should it send now: user timeout 120 s after the first retransmission.
                self.assertGreater(p["if_sending_ms"], 120_000)
                self.assertLess(p["if_sending_ms"], 120_000 + 2 * 250)

    def test_idle_sockets_without_keepalive_are_never_noticed(self):
        with Target([HOLD, "4"], env=target_env()) as t:
            report = tool_json(self, "verify", "--pid", str(t.pid), expect=1)
            established = [s["dead_peer"] for s in report["sockets"] if s["state"] == "ESTABLISHED"]
            self.assertEqual([(p["now"], p["detect_in_ms"]) for p in established], [("never", None)] * 2)
            text = tool("verify", "--pid", str(t.pid))
            self.assertIn("DEAD PEER NOTICED IN", text.stdout)
            self.assertEqual(text.stdout.count("never (idle, keepalive off)"), 2)


if __name__ == "__main__":
    main()
