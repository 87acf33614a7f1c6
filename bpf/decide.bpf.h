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

/* The winning slot. table: the port's entry. peer == NULL: rules with peers do not match (a
 * listener); *peer_before then says whether one that selects this process comes before the winner,
 * so its accepted sockets must be decided by their peer. record: the socket's, whose process mask
 * counts if it was computed under this policy. */
static __u32 tk_decide_slot(__u32 direction, __u32 port, __u32 table, const struct tk_peer* peer, const struct tk_socket* record,
                            __u32* peer_before) {
    __u32 slot = table & TK_SLOT_BITS;
    if (!(table & (TK_PROCESS_CANDIDATES | TK_PEER_CANDIDATES))) return slot;
    __u32 zero = 0;
    const struct tk_settings* settings = bpf_map_lookup_elem(&tk_settings, &zero);
    if (!settings) return slot;
    struct tk_search s = {.peer = peer, .direction = direction, .port = port, .bound = slot == 0 ? 0xffffffffu : slot};
    s.found = s.bound;
    if (record && record->generation == settings->generation) s.processes = record->processes;
    if (settings->candidates) bpf_loop(settings->candidates, tk_match_candidate, &s, 0);
    if (peer_before) *peer_before = s.peer_before;
    return s.found != s.bound ? s.found : slot;
}

/* The verdict of a slot, or NULL when the maps are not filled. */
static const struct tk_verdict* tk_verdict_of(__u32 slot) { return bpf_map_lookup_elem(&tk_verdicts, &slot); }

#endif
