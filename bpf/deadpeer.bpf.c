/* Dead peers, host-wide: every TCP connection the kernel closes because its peer stayed silent,
 * whoever opened it (shim, cgroup mode or neither), with the cause and the socket's values, as a
 * record in a ring buffer for `tcpkeep watch`. Not tied to a cgroup: a BTF tracepoint on the state
 * change to TCP_CLOSE, after tcp_write_err() (tcp_timer.c) has set sk_err. A reset (ECONNRESET,
 * ECONNREFUSED, EPIPE), a close by the program or tcp_abort is not a silent peer and is not told. */
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "deadpeer_abi.h"
#include "socket_owner.bpf.h"

#define TK_AF_INET 2
#define TK_AF_INET6 10
#define TK_TCP_SYN_SENT 2
#define TK_TCP_CLOSE 7
#define TK_SOCK_KEEPOPEN 3 /* enum sock_flags: SO_KEEPALIVE's bit in sk_flags */
#define TK_ETIMEDOUT 110
#define TK_EHOSTUNREACH 113
#define TK_ENETUNREACH 101
#define TK_EHOSTDOWN 112

extern unsigned int CONFIG_HZ __kconfig __weak;

/* The few kernel fields read, located by libbpf in the running kernel's BTF (the ___tk suffix is
 * dropped when matching; members of anonymous unions are found by name). */
struct in6_addr___tk {
    __u8 bytes[16]; /* read whole, never by member */
};
struct sock_common___tk {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    unsigned short skc_family;
    struct in6_addr___tk skc_v6_daddr;
    struct in6_addr___tk skc_v6_rcv_saddr;
    unsigned long skc_flags; /* sk_flags */
} __attribute__((preserve_access_index));
struct sock___tk {
    struct sock_common___tk __sk_common;
    int sk_err;
} __attribute__((preserve_access_index));
struct inet_sock___tk {
    __be16 inet_sport; /* kept at close, unlike skc_num, which giving the port back zeroes */
} __attribute__((preserve_access_index));
struct inet_connection_sock___tk {
    __u8 icsk_retransmits;
    __u8 icsk_probes_out;
    __u32 icsk_user_timeout;
} __attribute__((preserve_access_index));
struct tcp_sock___tk {
    __u32 keepalive_time;
    __u32 keepalive_intvl;
    __u8 keepalive_probes;
    __u32 rcv_tstamp;
    __u32 retrans_stamp;
    __u64 tcp_mstamp;
} __attribute__((preserve_access_index));

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} tk_dead_peers SEC(".maps");

static __always_inline int silent_peer_error(int error) {
    return error == TK_ETIMEDOUT || error == TK_EHOSTUNREACH || error == TK_ENETUNREACH || error == TK_EHOSTDOWN;
}

static __always_inline void addresses(const struct sock___tk* sk, struct tk_dead_peer* e) {
    e->family = (__u8)BPF_CORE_READ(sk, __sk_common.skc_family);
    e->local_port = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock___tk*)sk, inet_sport));
    e->remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (e->family == TK_AF_INET6) {
        BPF_CORE_READ_INTO(&e->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
        BPF_CORE_READ_INTO(&e->remote_addr, sk, __sk_common.skc_v6_daddr);
    } else {
        BPF_CORE_READ_INTO((__be32*)e->local_addr, sk, __sk_common.skc_rcv_saddr);
        BPF_CORE_READ_INTO((__be32*)e->remote_addr, sk, __sk_common.skc_daddr);
    }
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tk_dead_peer_seen, const struct sock___tk* sk, const int old_state, const int new_state) {
    if (new_state != TK_TCP_CLOSE) return 0;  // every other state change costs only this test
    const int error = BPF_CORE_READ(sk, sk_err);
    if (!silent_peer_error(error)) return 0;
    const struct inet_connection_sock___tk* icsk = (const void*)sk;
    const struct tcp_sock___tk* tp = (const void*)sk;
    struct tk_dead_peer* e = bpf_ringbuf_reserve(&tk_dead_peers, sizeof *e, 0);
    if (!e) return 0;
    __builtin_memset(e, 0, sizeof *e);
    e->error = error;
    e->old_state = (__u8)old_state;
    e->probes_out = BPF_CORE_READ(icsk, icsk_probes_out);
    e->retransmits = BPF_CORE_READ(icsk, icsk_retransmits);
    e->user_timeout_ms = BPF_CORE_READ(icsk, icsk_user_timeout);
    e->keepalive_on = (BPF_CORE_READ(sk, __sk_common.skc_flags) >> TK_SOCK_KEEPOPEN) & 1;
    e->keepalive_time = BPF_CORE_READ(tp, keepalive_time);
    e->keepalive_intvl = BPF_CORE_READ(tp, keepalive_intvl);
    e->keepalive_probes = BPF_CORE_READ(tp, keepalive_probes);
    e->hz = CONFIG_HZ;
    if (old_state == TK_TCP_SYN_SENT) {
        e->cause = TK_DEAD_SYN;
    } else if (e->probes_out > 0 && e->retransmits == 0) {
        e->cause = TK_DEAD_KEEPALIVE;
    } else {
        e->cause = e->user_timeout_ms ? TK_DEAD_USER_TIMEOUT : TK_DEAD_RETRANSMIT;
    }
    if (e->cause == TK_DEAD_KEEPALIVE) {
        /* Idle: since the last ACK heard (jiffies). */
        const __u32 jiffies = (__u32)bpf_jiffies64() - BPF_CORE_READ(tp, rcv_tstamp);
        e->silence_ms = CONFIG_HZ ? (__u32)((__u64)jiffies * 1000 / CONFIG_HZ) : 0;
    } else {
        /* Busy and SYN: since the oldest unacknowledged segment was first sent (ms stamps). */
        e->silence_ms = (__u32)(BPF_CORE_READ(tp, tcp_mstamp) / 1000) - BPF_CORE_READ(tp, retrans_stamp);
    }
    e->cgroup_id = socket_cgroup_id(sk);
    e->socket_inode = socket_inode(sk);
    addresses(sk, e);
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
