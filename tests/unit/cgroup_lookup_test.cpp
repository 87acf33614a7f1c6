// Which attachments can run for the same sockets: paths in the cgroup hierarchy that nest.
#include <gtest/gtest.h>

#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep {
namespace {

TEST(CgroupPathsNested, AnAncestorAndItsDescendantsInEitherOrder) {
    EXPECT_TRUE(cgroup_paths_nested("/kubepods", "/kubepods/burstable/pod1"));
    EXPECT_TRUE(cgroup_paths_nested("/kubepods/burstable/pod1", "/kubepods"));
    EXPECT_TRUE(cgroup_paths_nested("/", "/system.slice/a.service"));
    EXPECT_TRUE(cgroup_paths_nested("/system.slice/a.service", "/"));
}

TEST(CgroupPathsNested, SiblingsAndSharedPrefixesAreNot) {
    EXPECT_FALSE(cgroup_paths_nested("/system.slice/a.service", "/system.slice/b.service"));
    EXPECT_FALSE(cgroup_paths_nested("/system.slice/a", "/system.slice/ab"));  // a prefix of the name, not of the path
    EXPECT_FALSE(cgroup_paths_nested("/system.slice/ab", "/system.slice/a"));
}

}  // namespace
}  // namespace tcpkeep
