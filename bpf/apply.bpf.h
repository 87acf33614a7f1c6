/* Setting a verdict's options on a socket (from sock_ops, or from the TCP iterator for the sockets
 * that existed before the attachment), leaving those the program chose. */
#ifndef TCPKEEP_BPF_APPLY_H
#define TCPKEEP_BPF_APPLY_H
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_helpers.h>

#include "policy_abi.h"

static void tk_set(void* sock, __u8 todo, __u8 bit, int level, int name, int value) {
    if (todo & bit) bpf_setsockopt(sock, level, name, &value, sizeof value);
}

/* Sets the options of v that are in todo. */
static void tk_set_options(void* sock, __u8 todo, const struct tk_verdict* v) {
#define TK_SET_OPTION(NAME, field, type, level, optname, low, high) tk_set(sock, todo, TK_OPT_##NAME, level, optname, v->field);
    TK_OPTIONS(TK_SET_OPTION)
#undef TK_SET_OPTION
}

/* The options of v to set on a socket where the program chose `leave` itself. */
static __u8 tk_todo(const struct tk_verdict* v, __u8 leave) { return v->mask & (v->enforce ? 0xff : (__u8)~leave); }

/* Applies v to the socket, leaving the options in `leave` unless v enforces them; records the
 * enforced options. */
static void tk_apply(void* sock, const struct tk_verdict* v, struct tk_socket* record, __u8 leave) {
    if (!v || v->kind != TK_KIND_APPLY) return;
    __u8 todo = tk_todo(v, leave);
    /* SO_KEEPALIVE last: with keepalive already on, setting the idle time restarts the keepalive
     * timer; this way it is started once. */
    tk_set_options(sock, todo & ~TK_OPT_KEEPALIVE, v);
    tk_set_options(sock, todo & TK_OPT_KEEPALIVE, v);
    if (record) record->enforced = v->enforce ? v->mask : 0;
}

#endif
