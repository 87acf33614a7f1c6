/* Cgroup mode for the sockets that exist when a policy is attached: a TCP iterator (Linux >= 5.15)
 * visits every TCP socket of the network namespace it is created in, and gives those of the
 * attachment's cgroups the decision a new socket would get, with the same maps (the tool reuses
 * the attached program's). The tool runs it per namespace, in passes:
 *   TK_PASS_LISTENERS notes the listening addresses and ports, so an accepted connection is told
 *     from an outbound one as `tcpkeep apply` tells them (a listener holds its local address and
 *     port, or that port on the wildcard address: never a port alone);
 *   TK_PASS_PREVIOUS, with the maps of the policy being replaced, keeps each socket's decision;
 *   TK_PASS_APPLY decides and sets, where the decision differs from the kept one (if any). */
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "apply.bpf.h"
#include "decide.bpf.h"
#include "policy_maps.bpf.h"
#include "socket_owner.bpf.h"

#define TK_PASS_LISTENERS 0
#define TK_PASS_PREVIOUS 1
#define TK_PASS_APPLY 2

#define TK_AF_INET 2
#define TK_AF_INET6 10
#define TK_TCP_LISTEN 10

/* The kernel fields read, located in the running kernel's BTF (the ___tk suffix is dropped). */
union in6_words___tk {
    __u32 u6_addr32[4];
} __attribute__((preserve_access_index));
struct in6_addr___tk {
    union in6_words___tk in6_u;
} __attribute__((preserve_access_index));
struct sock_common___tk {
    __u32 skc_daddr;
    __u32 skc_rcv_saddr;
    __u16 skc_dport;
    __u16 skc_num;
    unsigned short skc_family;
    volatile unsigned char skc_state;
    struct in6_addr___tk skc_v6_daddr;
    struct in6_addr___tk skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));
struct sock___tk {
    struct sock_common___tk __sk_common;
} __attribute__((preserve_access_index));
struct bpf_iter_meta___tk {
    void* seq;
} __attribute__((preserve_access_index));
struct bpf_iter__tcp___tk {
    struct bpf_iter_meta___tk* meta;
    struct sock_common___tk* sk_common;
} __attribute__((preserve_access_index));

/* Set by the tool before each pass (it runs one at a time). */
__u32 tk_pass;
__u32 tk_netns;             /* the namespace's inode number */
__u32 tk_ephemeral_first;   /* its net.ipv4.ip_local_port_range */
__u32 tk_ephemeral_last;
__s32 tk_default_idle;      /* its tcp_keepalive_time, _intvl, _probes */
__s32 tk_default_interval;
__s32 tk_default_count;
__u32 tk_replacing;         /* 1: sockets with a kept decision equal to the new one are left alone */

/* Read by the tool after the passes. */
__u64 tk_set_count;        /* sockets given at least one option */
__u64 tk_program_count;    /* sockets whose options the policy names were all the program's */
__u64 tk_skipped_count;    /* sockets the policy skips or leaves untouched (or to their peers: listeners) */
__u64 tk_unchanged_count;  /* replacing: sockets whose decision did not change */

/* The cgroups whose sockets this attachment decides: the cgroup and its descendants but those
 * with an attachment of their own, by id. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1);
    __type(key, __u64);
    __type(value, __u8);
} tk_cgroups SEC(".maps");

/* Socket inode -> the process mask of the process holding it (policies with process rules). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1);
    __type(key, __u64);
    __type(value, __u64);
} tk_owners SEC(".maps");

struct tk_listen_key {
    __u32 netns;
    __u32 port;
    __u32 addr[4]; /* IPv4 in its v4-mapped IPv6 form; all zero: the wildcard address of either family */
};
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, struct tk_listen_key);
    __type(value, __u8);
} tk_listening SEC(".maps");

/* The decision of the policy being replaced, per socket, for the pass that applies the new one. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct tk_verdict);
} tk_previous SEC(".maps");

static void tk_existing_peer(const struct sock___tk* sk, struct tk_peer* peer) {
    if (sk->__sk_common.skc_family == TK_AF_INET) {
        peer->family = TK_FAMILY_V4;
        peer->addr[0] = sk->__sk_common.skc_daddr;
        return;
    }
    tk_peer_v6(peer, BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[0]), BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[1]),
               BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[2]), BPF_CORE_READ(sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32[3]));
}

/* The socket's local address and port as a listener key. */
static void tk_listen_key_of(const struct sock___tk* sk, struct tk_listen_key* key) {
    key->netns = tk_netns;
    key->port = sk->__sk_common.skc_num;
    if (sk->__sk_common.skc_family == TK_AF_INET) {
        __u32 v4 = sk->__sk_common.skc_rcv_saddr;
        if (v4 == 0) return;
        key->addr[2] = bpf_htonl(0xffff);
        key->addr[3] = v4;
        return;
    }
    key->addr[0] = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[0]);
    key->addr[1] = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[1]);
    key->addr[2] = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[2]);
    key->addr[3] = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32[3]);
}

/* As `tcpkeep apply` infers it: inbound when a listener of the namespace holds its local address
 * and port, or that port on the wildcard address (an accepted connection), or, with no such
 * listener left, when only the remote port is ephemeral. */
static __u32 tk_existing_direction(const struct sock___tk* sk, __u32 local, __u32 remote) {
    struct tk_listen_key key = {};
    tk_listen_key_of(sk, &key);
    if (bpf_map_lookup_elem(&tk_listening, &key)) return TK_INBOUND;
    struct tk_listen_key any = {.netns = tk_netns, .port = local};
    if (bpf_map_lookup_elem(&tk_listening, &any)) return TK_INBOUND;
    int local_ephemeral = local >= tk_ephemeral_first && local <= tk_ephemeral_last;
    int remote_ephemeral = remote >= tk_ephemeral_first && remote <= tk_ephemeral_last;
    return !local_ephemeral && remote_ephemeral ? TK_INBOUND : TK_OUTBOUND;
}

static int tk_get(void* sock, int level, int name) {
    int value = 0;
    return bpf_getsockopt(sock, level, name, &value, sizeof value) == 0 ? value : 0;
}

/* The value of each option on a socket nobody set it on, by its TK_OPTIONS name: the namespace's
 * sysctls, off for the others. */
#define TK_DEFAULT_KEEPALIVE 0
#define TK_DEFAULT_IDLE tk_default_idle
#define TK_DEFAULT_INTERVAL tk_default_interval
#define TK_DEFAULT_COUNT tk_default_count
#define TK_DEFAULT_USER_TIMEOUT 0

/* The options whose value is neither the namespace's default nor what `previous` (the replaced
 * policy's decision, if any) gave it: nobody recorded what the program set before the attachment,
 * so these are taken as its own. */
static __u8 tk_differing(void* sock, const struct tk_verdict* previous) {
    __u8 given = previous && previous->kind == TK_KIND_APPLY ? previous->mask : 0;
    __u8 out = 0;
#define TK_DIFFERING(NAME, field, type, level, optname, low, high)                                                    \
    {                                                                                                                 \
        int now = tk_get(sock, level, optname);                                                                       \
        if (now != TK_DEFAULT_##NAME && !((given & TK_OPT_##NAME) && previous->field == now)) out |= TK_OPT_##NAME; \
    }
    TK_OPTIONS(TK_DIFFERING)
#undef TK_DIFFERING
    return out;
}

static int tk_same_verdict(const struct tk_verdict* a, const struct tk_verdict* b) {
    if (a->kind != b->kind) return 0;
    if (a->kind != TK_KIND_APPLY) return 1;
#define TK_SAME_VALUE(NAME, field, ...) &&a->field == b->field
    return a->enforce == b->enforce && a->mask == b->mask TK_OPTIONS(TK_SAME_VALUE);
#undef TK_SAME_VALUE
}

/* Gives the socket v, leaving the options the program chose unless v enforces them, and records
 * those in the socket's record, so what runs later (accepted sockets of a listener, a replacing
 * policy) leaves them too. */
static void tk_existing_apply(struct sock___tk* sk, const struct tk_verdict* v, struct tk_socket* record, const struct tk_verdict* previous) {
    __u8 leave = (record ? record->program_set : 0) | tk_differing(sk, previous);
    __u8 todo = tk_todo(v, leave);
    if (!todo) {
        if (leave & v->mask)
            tk_program_count++;
        else
            tk_skipped_count++; /* a verdict that sets nothing */
        return;
    }
    if (!record && ((leave & v->mask) || v->enforce)) record = bpf_sk_storage_get(&tk_sockets, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
    tk_apply(sk, v, record, leave);
    if (record) {
        record->program_set |= leave & ~(v->enforce ? v->mask : 0);
        record->state |= TK_SOCKET_CONFIGURED;
    }
    tk_set_count++;
}

/* A listener's connections to come are decided as they are accepted, by the process mask in its
 * record (cloned onto them) where a process rule may decide them, as for a listener that listened
 * after the attachment (tk_listener); the mask is of this policy, so it is renewed when replacing. */
static void tk_keep_listener_mask(struct sock___tk* sk, const struct tk_context* c, __u32 per_peer) {
    if (!c->class.process_plain && !(per_peer && c->settings->process_rules)) return;
    struct tk_socket* record = c->record ? c->record : bpf_sk_storage_get(&tk_sockets, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
    if (!record) return;
    record->processes = c->known.processes;
    record->generation = c->known.generation;
    if (per_peer) record->state |= TK_SOCKET_PER_PEER;
}

SEC("iter/tcp")
int tcpkeep_existing(struct bpf_iter__tcp___tk* ctx) {
    struct sock_common___tk* common = ctx->sk_common;
    if (!common) return 0;
    struct sock___tk* sk = (struct sock___tk*)bpf_skc_to_tcp_sock(common);
    if (!sk) return 0; /* a request or time-wait socket */
    unsigned short family = sk->__sk_common.skc_family;
    if (family != TK_AF_INET && family != TK_AF_INET6) return 0;
    __u64 cgroup = socket_cgroup_id(sk);
    if (!bpf_map_lookup_elem(&tk_cgroups, &cgroup)) return 0;
    __u32 local = sk->__sk_common.skc_num, remote = bpf_ntohs(sk->__sk_common.skc_dport);
    int listening = sk->__sk_common.skc_state == TK_TCP_LISTEN;
    if (tk_pass == TK_PASS_LISTENERS) {
        struct tk_listen_key key = {};
        tk_listen_key_of(sk, &key);
        __u8 one = 1;
        if (listening) bpf_map_update_elem(&tk_listening, &key, &one, BPF_ANY);
        return 0;
    }
    struct tk_context c = {.direction = listening ? TK_INBOUND : tk_existing_direction(sk, local, remote)};
    c.port = c.direction == TK_INBOUND ? local : remote;
    __u32 zero = 0;
    c.settings = bpf_map_lookup_elem(&tk_settings, &zero);
    const struct tk_port_class* class = tk_port_class(c.direction, c.port);
    if (!c.settings || !class) return 0;
    c.class = *class;
    c.record = bpf_sk_storage_get(&tk_sockets, sk, NULL, 0);
    if (c.record) c.known = *c.record;
    if (tk_class_has_process(&c.class)) {
        __u64 inode = socket_inode(sk);
        const __u64* processes = bpf_map_lookup_elem(&tk_owners, &inode);
        c.known.processes = processes ? *processes : 0;
        c.known.generation = c.settings->generation;
    }
    struct tk_peer peer = {};
    if (!listening) tk_existing_peer(sk, &peer);
    __u32 per_peer = 0;
    const struct tk_verdict* v = tk_verdict_of(tk_decide_slot(&c, listening ? NULL : &peer, &per_peer));
    if (!v) return 0;
    if (tk_pass == TK_PASS_APPLY && listening) tk_keep_listener_mask(sk, &c, per_peer);
    if (tk_pass == TK_PASS_PREVIOUS) {
        struct tk_verdict* kept = bpf_sk_storage_get(&tk_previous, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
        if (kept) *kept = *v;
        return 0;
    }
    const struct tk_verdict* previous = tk_replacing ? bpf_sk_storage_get(&tk_previous, sk, NULL, 0) : NULL;
    if (previous && tk_same_verdict(previous, v)) {
        tk_unchanged_count++;
        return 0;
    }
    if ((listening && per_peer) || v->kind != TK_KIND_APPLY) {
        tk_skipped_count++; /* a listener whose connections are decided by their peer as they come */
        return 0;
    }
    tk_existing_apply(sk, v, c.record, previous);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
