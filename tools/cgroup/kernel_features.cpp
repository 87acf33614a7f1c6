#include "tools/cgroup/kernel_features.h"

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tcpkeep {
namespace {

const char* describe(KernelFeature feature) {
    switch (feature) {
        case KernelFeature::bpf_programs: return "BPF programs";
        case KernelFeature::btf: return "BTF type information, which socket storage needs (Linux >= 4.18, CONFIG_BPF_SYSCALL)";
        case KernelFeature::sock_ops: return "sock_ops programs (Linux >= 4.13)";
        case KernelFeature::cgroup_sockopt: return "cgroup/setsockopt programs (Linux >= 5.3)";
        case KernelFeature::socket_storage: return "socket storage maps, BPF_MAP_TYPE_SK_STORAGE (Linux >= 5.2)";
        case KernelFeature::sock_ops_setsockopt: return "bpf_setsockopt in sock_ops programs (Linux >= 4.13; these options: >= 5.9)";
        case KernelFeature::sock_ops_storage: return "bpf_sk_storage_get in sock_ops programs (Linux >= 5.3)";
        case KernelFeature::sockopt_storage: return "bpf_sk_storage_get in cgroup/setsockopt programs (Linux >= 5.3)";
        case KernelFeature::sock_ops_loop: return "bpf_loop in sock_ops programs (Linux >= 5.17)";
    }
    return "?";
}

}  // namespace

std::string kernel_refusal(const std::vector<KernelFeature>& missing, int load_error) {
    if (load_error == EPERM || load_error == EACCES)
        return fmt::format(
            "the kernel does not let tcpkeep load BPF programs ({}): cgroup mode needs CAP_BPF and CAP_NET_ADMIN, and a "
            "kernel not locked down against BPF",
            std::strerror(load_error));
    if (std::find(missing.begin(), missing.end(), KernelFeature::bpf_programs) != missing.end())
        return fmt::format(
            "the kernel loads no BPF program at all here ({}): a kernel without CONFIG_BPF_SYSCALL, or BPF not permitted "
            "(lockdown, a seccomp filter, no CAP_BPF)",
            std::strerror(load_error));
    if (missing.empty())
        return fmt::format(
            "the kernel refused the cgroup-mode programs ({}); they need Linux >= 5.17 with sock_ops, cgroup/setsockopt, "
            "socket storage and bpf_loop (TCPKEEP_BPF_DEBUG=1 shows the verifier's words)",
            std::strerror(load_error));
    std::string out = "the kernel lacks what cgroup mode needs: ";
    for (std::size_t i = 0; i < missing.size(); ++i) out += (i == 0 ? "" : "; ") + std::string(describe(missing[i]));
    return out;
}

}  // namespace tcpkeep
