// The inspection model without a process: a socket's direction from the namespace's listeners and
// its ports, the policy's decision for it (a guessed direction that matters is flagged), and the
// verdicts ok()/exit_status() verify and apply report.
#include <gtest/gtest.h>

#include "config/compiled_policy.h"
#include "config/policy_reader.h"
#include "tools/exit_status.h"
#include "tools/inspection/socket_decision.h"
#include "tools/inspection/socket_direction.h"

namespace tcpkeep::cli {
namespace {

constexpr PortRange ephemeral{32768, 60999};

TcpEndpoint v4(std::uint8_t last, std::uint16_t port) {
    TcpEndpoint e;
    e.address = {127, 0, 0, last};
    e.port = port;
    return e;
}

SocketReport socket_between(TcpEndpoint local, TcpEndpoint remote, int state = 1) {
    SocketReport s;
    s.socket.fd = 3;
    s.socket.entry.local = local;
    s.socket.entry.remote = remote;
    s.socket.entry.state = state;
    return s;
}

CompiledPolicy compiled(const std::string& text) {
    const PolicyLoad load = read_policy(text, "test.toml");
    EXPECT_TRUE(load.ok());
    return CompiledPolicy::compile(*load.policy, ProcessIdentity{}, KernelDefaults{});
}

// Inbound port 5432 gets idle 30 s; everything else the defaults' 60 s.
const std::string two_directions = R"(version = 1
[defaults]
keepalive = true
idle = "60s"
[[rule]]
name = "db-in"
direction = "inbound"
ports = [5432]
idle = "30s"
)";

TEST(SocketDirection, ListenerAndAcceptedConnectionsAreInbound) {
    Listeners listeners;
    listeners.add(v4(1, 5432));
    SocketReport listener = socket_between(v4(1, 5432), v4(0, 0), tcp_state_listen);
    EXPECT_FALSE(infer_direction(listener, listeners, ephemeral));
    EXPECT_EQ(listener.direction, Direction::inbound);
    EXPECT_EQ(listener.direction_source, DirectionSource::listener);

    SocketReport accepted = socket_between(v4(1, 5432), v4(9, 40000));
    EXPECT_FALSE(infer_direction(accepted, listeners, ephemeral));
    EXPECT_EQ(accepted.direction, Direction::inbound);
    EXPECT_EQ(accepted.direction_source, DirectionSource::listener);
}

TEST(SocketDirection, AnotherAddressOnTheListenersPortIsNotAccepted) {
    Listeners listeners;
    listeners.add(v4(1, 5432));
    SocketReport s = socket_between(v4(2, 5432), v4(9, 5000));  // 127.0.0.2:5432: nobody listens there
    EXPECT_FALSE(infer_direction(s, listeners, ephemeral));
    EXPECT_EQ(s.direction, Direction::outbound);
    EXPECT_EQ(s.direction_source, DirectionSource::inferred);
}

TEST(SocketDirection, OnlyARemoteEphemeralPortIsAGuessOfInbound) {
    SocketReport s = socket_between(v4(1, 5432), v4(9, 40000));  // no listener left
    EXPECT_TRUE(infer_direction(s, Listeners{}, ephemeral));
    EXPECT_EQ(s.direction, Direction::inbound);
    EXPECT_EQ(s.direction_source, DirectionSource::inferred);

    SocketReport out = socket_between(v4(1, 40000), v4(9, 5432));  // our port is the ephemeral one
    EXPECT_FALSE(infer_direction(out, Listeners{}, ephemeral));
    EXPECT_EQ(out.direction, Direction::outbound);
}

TEST(SocketDecision, AGuessThatChangesTheDecisionIsAmbiguous) {
    const CompiledPolicy policy = compiled(two_directions);
    SocketReport s = socket_between(v4(1, 5432), v4(9, 40000));
    const bool guessed = infer_direction(s, Listeners{}, ephemeral);
    decide_socket(policy, s, guessed);
    EXPECT_EQ(s.rule, "db-in");
    EXPECT_EQ(s.action, Verdict::Kind::apply);
    EXPECT_EQ(s.expected.idle_s, 30);
    EXPECT_TRUE(s.direction_ambiguous);  // outbound it would get 60 s

    SocketReport other = socket_between(v4(1, 6000), v4(9, 40000));  // both directions: the defaults
    decide_socket(policy, other, infer_direction(other, Listeners{}, ephemeral));
    EXPECT_EQ(other.expected.idle_s, 60);
    EXPECT_FALSE(other.direction_ambiguous);
}

TEST(SocketDecision, DryRunListsOnlyWhatDiffersAndIsNotTheProgramsOwn) {
    const CompiledPolicy policy = compiled(two_directions);
    SocketReport s = socket_between(v4(1, 40000), v4(9, 80));
    decide_socket(policy, s, false);
    s.actual = Settings{0x1F, true, 7200, 75, 9, 0};
    s.program_set = bit(Option::idle);  // the program chose its own idle time: left
    apply_expected(-1, /*dry_run=*/true, s);  // a dry run never touches the fd
    ASSERT_EQ(s.changes.size(), 0u);  // only idle is expected, and it is the program's
    s.program_set = 0;
    apply_expected(-1, true, s);
    ASSERT_EQ(s.changes.size(), 1u);
    EXPECT_EQ(s.changes[0].option, Option::idle);
    EXPECT_EQ(s.changes[0].from, 7200);
    EXPECT_EQ(s.changes[0].to, 60);
}

TEST(ProcessReport, TheProgramsOwnValueIsNoMismatchUnlessEnforced) {
    SocketReport s;
    s.expected = Settings{bit(Option::idle), false, 60, 0, 0, 0};
    s.actual = Settings{0x1F, true, 300, 75, 9, 0};
    EXPECT_EQ(s.ok(), false);
    s.program_set = bit(Option::idle);
    EXPECT_EQ(s.program_chose(), bit(Option::idle));
    EXPECT_EQ(s.ok(), true);
    s.enforced = bit(Option::idle);
    EXPECT_EQ(s.program_chose(), 0);
    EXPECT_EQ(s.ok(), false);

    ProcessReport r;
    r.judge_shim = false;
    r.sockets.push_back(s);
    EXPECT_EQ(r.exit_status(), exit_findings);
    r.sockets[0].enforced = 0;
    EXPECT_EQ(r.exit_status(), exit_ok);
    r.sockets[0].actual.reset();  // a socket expected to hold values, unread
    EXPECT_EQ(r.exit_status(), exit_error);
}

TEST(ProcessReport, AMissingShimIsAFindingOnlyWhereThePolicySetsValues) {
    ProcessReport r;
    r.policy_applies = true;
    EXPECT_TRUE(r.shim_missing());
    EXPECT_EQ(r.exit_status(), exit_findings);
    r.cgroup_attachment = Attachment{};
    EXPECT_FALSE(r.shim_missing());  // cgroup mode gives new sockets the values
    EXPECT_EQ(r.exit_status(), exit_ok);
    r.cgroup_attachment.reset();
    r.policy_applies = false;
    EXPECT_EQ(r.exit_status(), exit_ok);
}

}  // namespace
}  // namespace tcpkeep::cli
