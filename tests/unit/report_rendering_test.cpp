// What verify and apply print for a report: the JSON fields of tools/README.md's schema and the
// table's rows, from a report built by hand (the rendering alone, no process).
#include <gtest/gtest.h>

#include "tools/report/process_json.h"
#include "tools/report/report_table.h"

namespace tcpkeep::cli {
namespace {

ProcessReport one_socket_report() {
    ProcessReport r;
    r.pid = 4242;
    r.executable = "/usr/bin/app";
    r.shim.loaded = true;
    r.shim.path = "/usr/lib/libtcpkeep.so";
    r.policy = "/etc/tcpkeep/policy.toml";
    r.policy_origin = "shim";
    SocketReport s;
    s.socket.fd = 7;
    s.socket.entry.state = 1;
    s.socket.entry.local.address = {127, 0, 0, 1};
    s.socket.entry.local.port = 40000;
    s.socket.entry.remote.address = {10, 0, 0, 2};
    s.socket.entry.remote.port = 5432;
    s.rule = "db";
    s.action = Verdict::Kind::apply;
    s.expected = Settings{bit(Option::keepalive) | bit(Option::idle), true, 30, 0, 0, 0};
    s.actual = Settings{0x1F, true, 30, 75, 9, 0};
    r.sockets.push_back(s);
    return r;
}

TEST(ProcessJson, NamesEverySocketFieldAndTheVerdict) {
    const nlohmann::ordered_json j = to_json(one_socket_report());
    EXPECT_EQ(j["pid"], 4242);
    EXPECT_EQ(j["executable"], "/usr/bin/app");
    EXPECT_EQ(j["ok"], true);
    EXPECT_EQ(j["policy_origin"], "shim");
    ASSERT_EQ(j["sockets"].size(), 1u);
    const auto& s = j["sockets"][0];
    EXPECT_EQ(s["fd"], 7);
    EXPECT_EQ(s["state"], "ESTABLISHED");
    EXPECT_EQ(s["local"], "127.0.0.1:40000");
    EXPECT_EQ(s["remote"], "10.0.0.2:5432");
    EXPECT_EQ(s["rule"], "db");
    EXPECT_EQ(s["action"], "apply");
    EXPECT_EQ(s["actual"]["idle_s"], 30);
    EXPECT_EQ(s["actual"]["count"], 9);
    EXPECT_EQ(s["expected"]["idle_s"], 30);
    EXPECT_EQ(s["expected"]["count"], nullptr);  // all five fields; what the policy does not set is null
    EXPECT_EQ(s["ok"], true);
    EXPECT_EQ(s["dead_peer"], nullptr);
    EXPECT_FALSE(s.contains("changes"));  // verify: nothing changed
}

TEST(ProcessJson, AMismatchIsNotOk) {
    ProcessReport r = one_socket_report();
    r.sockets[0].actual->idle_s = 7200;
    const nlohmann::ordered_json j = to_json(r);
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["sockets"][0]["ok"], false);
}

TEST(ReportTable, ShowsTheSocketRowAndApplysChanges) {
    ProcessReport r = one_socket_report();
    const std::string verify = to_table(r);
    EXPECT_NE(verify.find("127.0.0.1:40000"), std::string::npos) << verify;
    EXPECT_NE(verify.find("10.0.0.2:5432"), std::string::npos) << verify;
    EXPECT_NE(verify.find("db"), std::string::npos) << verify;
    r.sockets[0].changes.push_back({Option::idle, 7200, 30, 0});
    EXPECT_NE(to_table(r, /*dry_run=*/true).find("would set"), std::string::npos) << to_table(r, true);
}

TEST(ReportTable, AlignsColumnsWithTwoSpaces) {
    EXPECT_EQ(aligned({{"a", "bb"}, {"ccc", "d"}}, "  "), "  a    bb\n  ccc  d\n");
}

}  // namespace
}  // namespace tcpkeep::cli
