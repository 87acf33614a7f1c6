/* Setting a verdict's options on a socket (from sock_ops, or from the TCP iterator for the sockets
 * that existed before the attachment), leaving those the program chose. */
#ifndef TCPKEEP_BPF_APPLY_H
#define TCPKEEP_BPF_APPLY_H
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_helpers.h>

#include "policy_abi.h"

#define TK_SOL_SOCKET 1
#define TK_SO_KEEPALIVE 9
#define TK_SOL_TCP 6
#define TK_TCP_KEEPIDLE 4
#define TK_TCP_KEEPINTVL 5
#define TK_TCP_KEEPCNT 6
#define TK_TCP_USER_TIMEOUT 18

static void tk_set(void* sock, __u8 todo, __u8 bit, int level, int name, int value) {
    if (todo & bit) bpf_setsockopt(sock, level, name, &value, sizeof value);
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
    tk_set(sock, todo, TK_OPT_IDLE, TK_SOL_TCP, TK_TCP_KEEPIDLE, v->idle_s);
    tk_set(sock, todo, TK_OPT_INTERVAL, TK_SOL_TCP, TK_TCP_KEEPINTVL, v->interval_s);
    tk_set(sock, todo, TK_OPT_COUNT, TK_SOL_TCP, TK_TCP_KEEPCNT, v->count);
    tk_set(sock, todo, TK_OPT_USER_TIMEOUT, TK_SOL_TCP, TK_TCP_USER_TIMEOUT, v->user_timeout_ms);
    tk_set(sock, todo, TK_OPT_KEEPALIVE, TK_SOL_SOCKET, TK_SO_KEEPALIVE, v->keepalive);
    if (record) record->enforced = v->enforce ? v->mask : 0;
}

#endif
