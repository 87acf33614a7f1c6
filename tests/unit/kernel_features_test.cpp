// The message naming what the kernel lacks when it refuses the cgroup-mode programs.
#include <gtest/gtest.h>

#include <cerrno>

#include "tools/cgroup/kernel_features.h"

namespace tcpkeep {
namespace {

TEST(KernelRefusal, NamesEachMissingFeatureInProbeOrder) {
    EXPECT_EQ(kernel_refusal({KernelFeature::cgroup_sockopt, KernelFeature::sock_ops_loop}, EINVAL),
              "the kernel lacks what cgroup mode needs: cgroup/setsockopt programs (Linux >= 5.3); bpf_loop in sock_ops programs "
              "(Linux >= 5.17)");
    EXPECT_EQ(kernel_refusal({KernelFeature::btf}, EINVAL),
              "the kernel lacks what cgroup mode needs: BTF type information, which socket storage needs (Linux >= 4.18, "
              "CONFIG_BPF_SYSCALL)");
}

TEST(KernelRefusal, NothingMissingKeepsTheLoadError) {
    EXPECT_EQ(kernel_refusal({}, E2BIG),
              "the kernel refused the cgroup-mode programs (Argument list too long); they need Linux >= 5.17 with sock_ops, "
              "cgroup/setsockopt, socket storage and bpf_loop (TCPKEEP_BPF_DEBUG=1 shows the verifier's words)");
}

TEST(KernelRefusal, NoBpfAtAllIsSaidAlone) {
    EXPECT_EQ(kernel_refusal({KernelFeature::bpf_programs}, ENOSYS),
              "the kernel loads no BPF program at all here (Function not implemented): a kernel without CONFIG_BPF_SYSCALL, or BPF not "
              "permitted (lockdown, a seccomp filter, no CAP_BPF)");
}

TEST(KernelRefusal, APermissionErrorIsNotAMissingFeature) {
    // Every probe fails without the permission: naming features would send the user the wrong way.
    for (int error : {EPERM, EACCES})
        EXPECT_EQ(
            kernel_refusal({KernelFeature::sock_ops, KernelFeature::btf}, error).rfind("the kernel does not let tcpkeep load BPF programs (", 0), 0u);
}

}  // namespace
}  // namespace tcpkeep
