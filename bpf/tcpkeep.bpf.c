/* Cgroup mode: the policy on every TCP socket of the processes in a cgroup. sock_ops decides
 * outbound sockets before their SYN, listeners at listen() and accepted sockets when their
 * handshake completes (by their peer where rules with peers tell them apart); rules with process
 * see the process that connected or listened; cgroup/setsockopt records the options the program
 * sets itself and ignores those the policy enforces. */
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "apply.bpf.h"
#include "decide.bpf.h"
#include "policy_maps.bpf.h"
#include "process.bpf.h"

#define TK_AF_INET 2
#define TK_AF_INET6 10
#define TK_IPPROTO_TCP 6

/* The remote address. */
static void tk_remote_peer(const struct bpf_sock_ops* skops, struct tk_peer* peer) {
    if (skops->family == TK_AF_INET) {
        peer->family = TK_FAMILY_V4;
        peer->addr[0] = skops->remote_ip4;
        return;
    }
    tk_peer_v6(peer, skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2], skops->remote_ip6[3]);
}

static int tk_is_tcp(struct bpf_sock_ops* skops) {
    if (skops->family != TK_AF_INET && skops->family != TK_AF_INET6) return 0;
    struct bpf_sock* sk = skops->sk;
    return skops->is_fullsock && sk && sk->protocol == TK_IPPROTO_TCP;
}

/* Fills c for its direction and port; 0 when there is nothing to decide: no policy for the port,
 * or the record has one of the `done` states. */
static int tk_open(struct bpf_sock_ops* skops, __u32 done, int current_is_program, struct tk_context* c) {
    c->sk = skops->sk;
    if (!c->sk) return 0;
    c->record = bpf_sk_storage_get(&tk_sockets, c->sk, NULL, 0);
    if (c->record && (c->record->state & done)) return 0;
    __u32 zero = 0;
    c->settings = bpf_map_lookup_elem(&tk_settings, &zero);
    const struct tk_port_class* class = tk_port_class(c->direction, c->port);
    if (!class || !c->settings) return 0;
    c->class = *class;
    if (c->record) c->known = *c->record;
    if (current_is_program && tk_class_has_process(&c->class)) tk_note_process(&c->known);
    return 1;
}

/* A record outlives the decision only where something later needs it: the setsockopt hook for
 * enforced options, and the attachments of ancestor cgroups, which run next, to see the socket is
 * decided. Making one costs about a third of the program's time, and one on a listener is cloned
 * onto every connection it accepts, so the common case makes none. */
static void tk_keep_record(struct tk_context* c, int needed) {
    if (!c->record && (needed || c->settings->others)) c->record = bpf_sk_storage_get(&tk_sockets, c->sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
}

static int tk_enforces(const struct tk_verdict* v) { return v && v->kind == TK_KIND_APPLY && v->enforce; }

/* A connected socket: outbound at connect before the SYN, where the current task is the program,
 * or accepted, where it is whoever handled the packet, so the process mask is the listener's, in
 * the record cloned from it (none for a listener that predates the attachment). A record the
 * setsockopt hook made holds the program's own choices. */
static void tk_connected(struct bpf_sock_ops* skops, __u32 direction, __u32 port) {
    struct tk_context c = {.direction = direction, .port = port};
    if (!tk_open(skops, TK_SOCKET_CONFIGURED, direction == TK_OUTBOUND, &c)) return;
    struct tk_peer peer = {};
    tk_remote_peer(skops, &peer);
    const struct tk_verdict* v = tk_verdict_of(tk_decide_slot(&c, &peer, NULL));
    tk_keep_record(&c, tk_enforces(v));
    tk_apply(skops, v, c.record, c.known.program_set);
    if (c.record) c.record->state |= TK_SOCKET_CONFIGURED;
}

/* At listen(), where the current task is the program. Accepted sockets inherit the listener's
 * options, and are decided again at accept unless its record says it is configured: the same
 * verdict for the same port, so the values do not change. The listener keeps a record for them
 * when they need its process mask. Unless the children's verdict depends on their peer, the
 * listener itself is configured. */
static void tk_listener(struct bpf_sock_ops* skops) {
    struct tk_context c = {.direction = TK_INBOUND, .port = skops->local_port};
    if (!tk_open(skops, TK_SOCKET_CONFIGURED | TK_SOCKET_PER_PEER, 1, &c)) return;
    __u32 per_peer = 0;
    const struct tk_verdict* v = tk_verdict_of(tk_decide_slot(&c, NULL, &per_peer));
    /* The children need the process mask where a process rule may decide them: one without peers
     * (the listener's own verdict), or one with peers when they are decided by their peer. */
    const int mask_needed = c.class.process_plain || (per_peer && c.settings->process_rules);
    tk_keep_record(&c, mask_needed || tk_enforces(v));
    if (c.record) {
        c.record->processes = c.known.processes;
        c.record->generation = c.known.generation;
    }
    if (per_peer) {
        if (c.record) c.record->state |= TK_SOCKET_PER_PEER;
        return;
    }
    tk_apply(skops, v, c.record, c.known.program_set);
    if (c.record) c.record->state |= TK_SOCKET_CONFIGURED;
}

SEC("sockops")
int tcpkeep_sockops(struct bpf_sock_ops* skops) {
    switch (skops->op) {
        case BPF_SOCK_OPS_TCP_CONNECT_CB:
            if (tk_is_tcp(skops)) tk_connected(skops, TK_OUTBOUND, bpf_ntohl(skops->remote_port));
            break;
        case BPF_SOCK_OPS_TCP_LISTEN_CB:
            if (tk_is_tcp(skops)) tk_listener(skops);
            break;
        case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
            if (tk_is_tcp(skops)) tk_connected(skops, TK_INBOUND, skops->local_port);
            break;
        default: break;
    }
    return 1;
}

/* The option bit of (level, name), 0 for any other option. */
static __u8 tk_option_bit(int level, int name) {
#define TK_BIT_OF(NAME, field, type, option_level, optname, low, high) \
    if (level == option_level && name == optname) return TK_OPT_##NAME;
    TK_OPTIONS(TK_BIT_OF)
#undef TK_BIT_OF
    return 0;
}

/* Whether the kernel will accept this value (tcp(7)): only a successful setsockopt is the
 * program's own choice, as the shim records it after the real call. */
static int tk_value_accepted(__u8 bit, const struct bpf_sockopt* ctx) {
    const int* value = ctx->optval;
    if (ctx->optlen < (int)sizeof(int) || (const void*)(value + 1) > ctx->optval_end) return 0;
    int v = *value;
#define TK_ACCEPTS(NAME, field, type, level, optname, low, high) \
    if (bit == TK_OPT_##NAME) return v >= low && v <= high;
    TK_OPTIONS(TK_ACCEPTS)
#undef TK_ACCEPTS
    return 1;
}

SEC("cgroup/setsockopt")
int tcpkeep_setsockopt(struct bpf_sockopt* ctx) {
    __u8 bit = tk_option_bit(ctx->level, ctx->optname);
    struct bpf_sock* sk = ctx->sk;
    if (!bit || !sk || sk->protocol != TK_IPPROTO_TCP || (sk->family != TK_AF_INET && sk->family != TK_AF_INET6)) return 1;
    struct tk_socket* record = bpf_sk_storage_get(&tk_sockets, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
    if (!record) return 1;
    if (record->enforced & bit) {
        ctx->optlen = -1; /* succeed without reaching the kernel's handler */
        return 1;
    }
    if (tk_value_accepted(bit, ctx)) record->program_set |= bit;
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
