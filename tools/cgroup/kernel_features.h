// What cgroup mode needs from the kernel, and the message saying which of it is missing when the
// kernel refuses the programs. The probing (tools/cgroup/kernel_probe.cpp, with libbpf) runs only
// after a real load failed: a probe can say yes where the load still fails, so only a load decides.
#pragma once
#include <string>
#include <vector>

namespace tcpkeep {

// In the order they are probed: a later one is only meaningful when the earlier ones are there.
enum class KernelFeature {
    bpf_programs,         // any BPF program at all (the baseline every probe needs)
    btf,                  // loading BTF, which socket storage maps require
    sock_ops,             // BPF_PROG_TYPE_SOCK_OPS
    cgroup_sockopt,       // cgroup/setsockopt programs
    socket_storage,       // BPF_MAP_TYPE_SK_STORAGE
    sock_ops_setsockopt,  // bpf_setsockopt from sock_ops
    sock_ops_storage,     // bpf_sk_storage_get from sock_ops
    sockopt_storage,      // bpf_sk_storage_get from cgroup/setsockopt
    sock_ops_loop,        // bpf_loop from sock_ops
};

// "the kernel lacks what cgroup mode needs: bpf_loop in sock_ops programs (Linux >= 5.17); ..."
// naming each missing feature; with none named, the load's own error (`load_error`, an errno) and
// what the programs need. Without the baseline, or when the load was not permitted, only that.
std::string kernel_refusal(const std::vector<KernelFeature>& missing, int load_error);

// Which features this kernel lacks, probed with libbpf (cgroup-mode builds only).
std::vector<KernelFeature> missing_kernel_features();

}  // namespace tcpkeep
