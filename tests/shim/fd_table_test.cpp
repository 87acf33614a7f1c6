// The shim's fd table at the edges of its storage: static low fds, chunks of 65,536 fds mapped on
// first use, and fds it cannot hold (negative, >= 2^22).
#include <gtest/gtest.h>

#include "shim/fd_table.h"

namespace tcpkeep::shim {
namespace {

FdState sample(std::uint16_t port) {
    FdState s;
    s.kind = FdKind::tcp;
    s.configured = true;
    s.listener = ListenerMode::per_accept;
    s.program_set = 0x15;
    s.enforced = 0x0a;
    s.local_port = port;
    return s;
}

bool same(const FdState& a, const FdState& b) { return a.pack() == b.pack(); }

TEST(FdTable, PackRoundTripsEveryField) {
    const FdState s = sample(65535);
    const FdState back = FdState::unpack(s.pack());
    EXPECT_EQ(back.kind, FdKind::tcp);
    EXPECT_TRUE(back.configured);
    EXPECT_EQ(back.listener, ListenerMode::per_accept);
    EXPECT_EQ(back.program_set, 0x15);
    EXPECT_EQ(back.enforced, 0x0a);
    EXPECT_EQ(back.local_port, 65535);
}

TEST(FdTable, RemembersAndForgetsAcrossChunkBoundaries) {
    for (int fd : {0, 255, 256, 4096, 65535, 65536, 70000, (1 << 22) - 1}) {
        SCOPED_TRACE(fd);
        EXPECT_TRUE(same(fd_state(fd), FdState{}));
        set_fd_state(fd, sample(static_cast<std::uint16_t>(fd)));
        EXPECT_TRUE(same(fd_state(fd), sample(static_cast<std::uint16_t>(fd))));
        EXPECT_TRUE(same(fd_state(fd + 1 == (1 << 22) ? fd - 1 : fd + 1), FdState{}));  // neighbours untouched
        forget_fd(fd);
        EXPECT_TRUE(same(fd_state(fd), FdState{}));
    }
}

TEST(FdTable, WithoutAllocationOnlyWhereStorageExists) {
    set_fd_state(200000, sample(1), false);  // chunk 3 never mapped: not recorded
    EXPECT_TRUE(same(fd_state(200000), FdState{}));
    set_fd_state(200001, sample(2));         // maps chunk 3 ...
    set_fd_state(200000, sample(1), false);  // ... so now it is recorded
    EXPECT_TRUE(same(fd_state(200000), sample(1)));
    forget_fd(200000);
    forget_fd(200001);
    set_fd_state(100, sample(3), false);  // static storage: always recorded
    EXPECT_TRUE(same(fd_state(100), sample(3)));
    forget_fd(100);
}

TEST(FdTable, OutOfRangeIsUnknownAndIgnored) {
    for (int fd : {-1, 1 << 22, 1 << 30}) {
        set_fd_state(fd, sample(3));
        EXPECT_TRUE(same(fd_state(fd), FdState{}));
        forget_fd(fd);
    }
}

}  // namespace
}  // namespace tcpkeep::shim
