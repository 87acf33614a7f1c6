/* The policy's decision for (direction, port, peer), read from the maps exactly as
 * CompiledPolicy::decide computes it in user space. */
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
    const struct tk_peer* peer;
    __u32 direction;
    __u32 port;
    __u32 bound; /* slots at or after it cannot win */
    __u32 found; /* the winning slot, or bound */
};

static long tk_match_entry(__u32 index, void* data) {
    struct tk_search* s = data;
    const struct tk_peer_entry* e = bpf_map_lookup_elem(&tk_peers, &index);
    if (!e || e->slot >= s->bound) return 1; /* entries come in slot order: nothing later wins */
    if (!(e->directions & (1u << s->direction)) || s->port < e->port_first || s->port > e->port_last) return 0;
    if (e->family != s->peer->family) return 0;
    for (int w = 0; w < 4; w++)
        if ((s->peer->addr[w] & e->mask[w]) != e->net[w]) return 0;
    s->found = e->slot;
    return 1;
}

/* peer == NULL: rules with peers do not match (a listener). Returns the verdict, or NULL when the
 * maps are not filled. */
static const struct tk_verdict* tk_decide(__u32 direction, __u32 port, const struct tk_peer* peer) {
    __u32 key = direction * 65536 + (port & 0xffff);
    const __u32* table = bpf_map_lookup_elem(&tk_ports, &key);
    if (!table) return NULL;
    __u32 slot = *table & ~TK_PEER_CANDIDATES;
    if (peer && (*table & TK_PEER_CANDIDATES)) {
        __u32 zero = 0;
        const struct tk_settings* settings = bpf_map_lookup_elem(&tk_settings, &zero);
        struct tk_search s = {.peer = peer, .direction = direction, .port = port, .bound = slot == 0 ? 0xffffffffu : slot};
        s.found = s.bound;
        if (settings && settings->peer_entries) bpf_loop(settings->peer_entries, tk_match_entry, &s, 0);
        if (s.found != s.bound) slot = s.found;
    }
    return bpf_map_lookup_elem(&tk_verdicts, &slot);
}

#endif
