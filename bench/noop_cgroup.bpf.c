/* The reference cgroup mode is measured against: programs of the same two types, attached the same
 * way, that do nothing. What they cost (the kernel's dispatch of every sock_ops event, the locked
 * call around each setsockopt) any program doing cgroup mode's job pays. */
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_helpers.h>

SEC("sockops")
int noop_sockops(struct bpf_sock_ops* skops) {
    (void)skops;
    return 1;
}

SEC("cgroup/setsockopt")
int noop_setsockopt(struct bpf_sockopt* ctx) {
    (void)ctx;
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
