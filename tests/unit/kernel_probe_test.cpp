// The probes on this machine's kernel: nothing missing from Linux 5.17 on (a probe saying no where
// the feature is there would send the user after the wrong cause; the cgroup tests load the real
// programs here), bpf_loop missing before. Root; built with cgroup mode only.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/cgroup/kernel_features.h"

namespace tcpkeep {
namespace {

TEST(KernelProbe, NamesNothingOnAKernelThatHasItAll) {
    if (::geteuid() != 0) {
        const char* required = std::getenv("TCPKEEP_REQUIRE_NETNS");
        if (required != nullptr && std::string(required) == "1") FAIL() << "needs root (TCPKEEP_REQUIRE_NETNS=1)";
        GTEST_SKIP() << "needs root";
    }
    utsname kernel{};
    ASSERT_EQ(::uname(&kernel), 0);
    int major = 0, minor = 0;
    ASSERT_EQ(std::sscanf(kernel.release, "%d.%d", &major, &minor), 2) << kernel.release;
    const std::vector<KernelFeature> missing = missing_kernel_features();
    if (major > 5 || (major == 5 && minor >= 17)) {
        EXPECT_TRUE(missing.empty()) << kernel.release << ": " << kernel_refusal(missing, 0);
    } else {  // bpf_loop came in 5.17: an older kernel must be told so
        EXPECT_NE(std::find(missing.begin(), missing.end(), KernelFeature::sock_ops_loop), missing.end()) << kernel.release;
    }
}

}  // namespace
}  // namespace tcpkeep
