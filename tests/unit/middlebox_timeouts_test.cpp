// The middlebox warning: from which idle time on, and which middleboxes it names.
#include <gtest/gtest.h>

#include "config/middlebox_timeouts.h"

namespace tcpkeep {
namespace {

TEST(MiddleboxTimeouts, BelowTheShortestIsSilent) { EXPECT_EQ(middlebox_warning(239), std::nullopt); }

TEST(MiddleboxTimeouts, AtATimeoutNamesThoseReached) {
    EXPECT_EQ(middlebox_warning(240),
              "idle 4min is at or above the default idle timeout of Azure Load Balancer (4min), Azure NAT Gateway (4min): behind such a "
              "middlebox an idle connection is dropped silently before its first keepalive probe");
}

TEST(MiddleboxTimeouts, TheKernelDefaultOutlastsThemAll) {
    const std::optional<std::string> w = middlebox_warning(7200);
    ASSERT_TRUE(w);
    EXPECT_TRUE(w->starts_with("idle 2h is at or above"));
    for (const MiddleboxTimeout& m : middlebox_timeouts()) EXPECT_NE(w->find(m.name), std::string::npos) << m.name;
}

TEST(MiddleboxTimeouts, ShortestFirst) {
    std::int32_t last = 0;
    for (const MiddleboxTimeout& m : middlebox_timeouts()) {
        EXPECT_GE(m.idle_timeout_s, last);
        last = m.idle_timeout_s;
    }
}

}  // namespace
}  // namespace tcpkeep
