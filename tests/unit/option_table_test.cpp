// The one table of the five socket options: each row reaches the kernel option and the Settings
// field of its own name, and its value goes out and comes back unchanged.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>

#include "config/option_table.h"

namespace tcpkeep {
namespace {

TEST(OptionTable, EachRowNamesItsOwnOption) {
    struct Row {
        Option option;
        int level;
        int name;
        std::string key;
        std::string json_field;
    };
    const Row expected[] = {
        {Option::keepalive, SOL_SOCKET, SO_KEEPALIVE, "keepalive", "keepalive"},
        {Option::idle, IPPROTO_TCP, TCP_KEEPIDLE, "idle", "idle_s"},
        {Option::interval, IPPROTO_TCP, TCP_KEEPINTVL, "interval", "interval_s"},
        {Option::count, IPPROTO_TCP, TCP_KEEPCNT, "count", "count"},
        {Option::user_timeout, IPPROTO_TCP, TCP_USER_TIMEOUT, "user_timeout", "user_timeout_ms"},
    };
    for (const Row& row : expected) {
        const OptionSpec& spec = option_spec(row.option);
        EXPECT_EQ(spec.option, row.option) << row.key;
        EXPECT_EQ(spec.level, row.level) << row.key;
        EXPECT_EQ(spec.name, row.name) << row.key;
        EXPECT_EQ(spec.key, row.key);
        EXPECT_EQ(spec.json_field, row.json_field);
        EXPECT_EQ(option_key(row.option), row.key);
    }
}

TEST(OptionTable, ValuesLandInTheirOwnSettingsField) {
    Settings s;
    std::int32_t v = 0;
    for (const OptionSpec& spec : option_table) spec.store(s, v++ * 1000);  // keepalive gets 0
    EXPECT_EQ(s, (Settings{0, false, 1000, 2000, 3000, 4000}));
    option_spec(Option::keepalive).store(s, 1);
    EXPECT_TRUE(s.keepalive);

    const Settings values{0, true, 60, 10, 6, 120000};
    EXPECT_EQ(option_spec(Option::keepalive).value(values), 1);
    EXPECT_EQ(option_spec(Option::idle).value(values), 60);
    EXPECT_EQ(option_spec(Option::interval).value(values), 10);
    EXPECT_EQ(option_spec(Option::count).value(values), 6);
    EXPECT_EQ(option_spec(Option::user_timeout).value(values), 120000);
    Settings back;
    for (const OptionSpec& spec : option_table) spec.store(back, spec.value(values));
    EXPECT_EQ(back, values);
}

}  // namespace
}  // namespace tcpkeep
