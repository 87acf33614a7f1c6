/* The policy's decision for (direction, port, peer, process), read from the maps exactly as
 * CompiledPolicy::decide computes it in user space for the process. */
#ifndef TCPKEEP_BPF_DECIDE_H
#define TCPKEEP_BPF_DECIDE_H
#include "policy_maps.bpf.h"

#define TK_OUTBOUND 0
#define TK_INBOUND 1

struct tk_peer {
    __u32 family; /* TK_FAMILY_* */
    __u32 addr[4];
};

/* What a decision starts from: the socket's record if it has one, the settings, the port's table
 * entry, and in `known` a copy of the record with the current process noted where the current
 * task is the program and a rule may select it. */
struct tk_context {
    __u32 direction;
    __u32 port;
    struct bpf_sock* sk;
    struct tk_socket* record;
    const struct tk_settings* settings;
    __u32 table;
    struct tk_socket known;
};

struct tk_search {
    const struct tk_peer* peer; /* NULL: candidates with peers do not match */
    __u64 processes;            /* the process mask */
    __u32 direction;
    __u32 port;
    __u32 bound;       /* slots at or after it cannot win */
    __u32 found;       /* the winning slot, or bound */
    __u32 peer_before; /* peer == NULL: a rule with peers for this process comes before found */
};

static long tk_match_candidate(__u32 index, void* data) {
    struct tk_search* s = data;
    const struct tk_candidate* e = bpf_map_lookup_elem(&tk_candidates, &index);
    if (!e || e->slot >= s->bound) return 1; /* entries come in slot order: nothing later wins */
    if (!(e->directions & (1u << s->direction)) || s->port < e->port_first || s->port > e->port_last) return 0;
    if (e->process && !((s->processes >> ((e->process - 1) & 63)) & 1)) return 0;
    if (e->family != TK_FAMILY_ANY) {
        if (!s->peer) {
            s->peer_before = 1;
            return 0;
        }
        if (e->family != s->peer->family) return 0;
        for (int w = 0; w < 4; w++)
            if ((s->peer->addr[w] & e->mask[w]) != e->net[w]) return 0;
    }
    s->found = e->slot;
    return 1;
}

static const __u32* tk_port_table(__u32 direction, __u32 port) {
    __u32 key = direction * 65536 + (port & 0xffff);
    return bpf_map_lookup_elem(&tk_ports, &key);
}

/* The winning slot for c. peer == NULL: rules with peers do not match (a listener);
 * *peer_before then says whether one that selects this process comes before the winner, so its
 * accepted sockets must be decided by their peer. c->known's process mask counts if it was
 * computed under these settings. */
static __u32 tk_decide_slot(const struct tk_context* c, const struct tk_peer* peer, __u32* peer_before) {
    __u32 slot = c->table & TK_SLOT_BITS;
    if (!(c->table & (TK_PROCESS_CANDIDATES | TK_PEER_CANDIDATES))) return slot;
    const struct tk_settings* settings = c->settings;
    struct tk_search s = {.peer = peer, .direction = c->direction, .port = c->port, .bound = slot == 0 ? 0xffffffffu : slot};
    s.found = s.bound;
    if (c->known.generation == settings->generation) s.processes = c->known.processes;
    if (settings->candidates) bpf_loop(settings->candidates, tk_match_candidate, &s, 0);
    if (peer_before) *peer_before = s.peer_before;
    return s.found != s.bound ? s.found : slot;
}

/* The verdict of a slot, or NULL when the maps are not filled. */
static const struct tk_verdict* tk_verdict_of(__u32 slot) { return bpf_map_lookup_elem(&tk_verdicts, &slot); }

#endif
