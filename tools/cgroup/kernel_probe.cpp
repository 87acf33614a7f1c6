// The kernel's cgroup-mode features, probed with libbpf (built with cgroup mode only).
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <utility>

#include "tools/cgroup/kernel_features.h"

namespace tcpkeep {
namespace {

bool btf_loads() {
    btf* types = btf__new_empty();
    if (types == nullptr) return false;
    const bool loaded = btf__add_int(types, "int", 4, BTF_INT_SIGNED) > 0 && btf__load_into_kernel(types) == 0;
    btf__free(types);
    return loaded;
}

}  // namespace

std::vector<KernelFeature> missing_kernel_features() {
    if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, nullptr) != 1) return {KernelFeature::bpf_programs};
    const bool sock_ops = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCK_OPS, nullptr) == 1;
    const bool sockopt = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCKOPT, nullptr) == 1;
    // A helper probe in a program type the kernel lacks says nothing: only the type is named then.
    const auto helper = [](bool type_present, bpf_prog_type type, bpf_func_id id) {
        return !type_present || libbpf_probe_bpf_helper(type, id, nullptr) == 1;
    };
    const std::pair<KernelFeature, bool> present[] = {
        {KernelFeature::btf, btf_loads()},
        {KernelFeature::sock_ops, sock_ops},
        {KernelFeature::cgroup_sockopt, sockopt},
        {KernelFeature::socket_storage, libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, nullptr) == 1},
        {KernelFeature::sock_ops_setsockopt, helper(sock_ops, BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_setsockopt)},
        {KernelFeature::sock_ops_storage, helper(sock_ops, BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_sk_storage_get)},
        {KernelFeature::sockopt_storage, helper(sockopt, BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_sk_storage_get)},
        {KernelFeature::sock_ops_loop, helper(sock_ops, BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_loop)},
    };
    std::vector<KernelFeature> missing;
    for (const auto& [feature, here] : present)
        if (!here) missing.push_back(feature);
    return missing;
}

}  // namespace tcpkeep
