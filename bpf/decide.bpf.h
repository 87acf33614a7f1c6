/* The policy's decision for (direction, port, peer, process), read from the maps exactly as
 * CompiledPolicy::decide computes it in user space for the process: the port's class, then one
 * hash lookup per prefix length the policy's peer blocks use. Nothing walks the rules. */
#ifndef TCPKEEP_BPF_DECIDE_H
#define TCPKEEP_BPF_DECIDE_H
#include <bpf/bpf_endian.h>

#include "policy_maps.bpf.h"

#define TK_OUTBOUND 0
#define TK_INBOUND 1

struct tk_peer {
    __u32 family; /* TK_FAMILY_* */
    __u32 addr[4];
};

/* An IPv6 peer's address; v4-mapped IPv6 is folded into v4 as the shim does. */
static void tk_peer_v6(struct tk_peer* peer, __u32 a0, __u32 a1, __u32 a2, __u32 a3) {
    if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0xffff)) {
        peer->family = TK_FAMILY_V4;
        peer->addr[0] = a3;
        return;
    }
    peer->family = TK_FAMILY_V6;
    peer->addr[0] = a0;
    peer->addr[1] = a1;
    peer->addr[2] = a2;
    peer->addr[3] = a3;
}

/* What a decision starts from: the socket's record if it has one, the settings, the port's class,
 * and in `known` a copy of the record with the current process noted where the current task is the
 * program and a rule may select it. */
struct tk_context {
    __u32 direction;
    __u32 port;
    struct bpf_sock* sk;
    struct tk_socket* record;
    const struct tk_settings* settings;
    struct tk_port_class class;
    struct tk_socket known;
};

/* Whether a `process` rule may decide sockets of this class. */
static int tk_class_has_process(const struct tk_port_class* class) { return (class->process_plain | class->process_peers) != 0; }

static const struct tk_port_class* tk_port_class(__u32 direction, __u32 port) {
    __u32 key = direction * 65536 + (port & 0xffff);
    const __u32* index = bpf_map_lookup_elem(&tk_ports, &key);
    return index ? bpf_map_lookup_elem(&tk_port_classes, index) : NULL;
}

/* The slot of the first process rule among `bits` (TK_NO_SLOT for none): the lowest bit, isolated
 * and hashed to its index without a branch (a de Bruijn sequence; tk_process_slots is filled by
 * that index), which keeps the verifier's work small. */
static __u32 tk_first_process_slot(__u64 bits) {
    if (!bits) return TK_NO_SLOT;
    __u32 index = TK_PROCESS_INDEX(bits);
    const __u32* slot = bpf_map_lookup_elem(&tk_process_slots, &index);
    return slot ? *slot : TK_NO_SLOT;
}

static __u32 tk_min(__u32 a, __u32 b) { return a < b ? a : b; }

struct tk_search {
    const struct tk_peer* peer;
    __u32 direction;
    __u32 port;
    __u64 processes;
    const struct tk_prefix_lengths* lengths;
    __u32 found; /* the best slot so far, TK_NO_SLOT for none */
};

/* The index of the last run starting at or before port among `count` sorted runs from `low`: a
 * global function, which the verifier checks once rather than on every path that calls it (the
 * search inlined there took it seconds). */
__attribute__((noinline)) int tk_run_index(__u32 low, __u32 count, __u32 port) {
    for (int step = 0; step < TK_MAX_RUN_STEPS && count > 1; step++) {
        __u32 half = count / 2, middle = low + half;
        const struct tk_port_run* run = bpf_map_lookup_elem(&tk_port_runs, &middle);
        if (!run) break;
        if (run->port_first <= port) {
            low = middle;
            count -= half;
        } else {
            count = half;
        }
    }
    return (int)low;
}

/* The run of a block covering port, or NULL. */
static const struct tk_port_run* tk_run_of(const struct tk_peer_block* block, __u32 port) {
    if (!block->runs) return NULL;
    __u32 index = (__u32)tk_run_index(block->first_run, block->runs, port);
    const struct tk_port_run* run = bpf_map_lookup_elem(&tk_port_runs, &index);
    return run && run->port_first <= port && port <= run->port_last ? run : NULL;
}

/* One prefix length: the peer's block of that length, if the policy has it, and its best rule. */
static long tk_match_prefix(__u32 index, void* data) {
    struct tk_search* s = data;
    if (index >= sizeof s->lengths->length) return 1;
    __u32 bits = s->lengths->length[index];
    struct tk_peer_key key = {.family = s->peer->family, .prefix = bits, .direction = s->direction};
    for (int w = 0; w < 4; w++) {
        __u32 inside = bits > 32 * w ? bits - 32 * w : 0;
        __u32 mask = inside >= 32 ? 0xffffffffu : inside == 0 ? 0 : ~(0xffffffffu >> inside);
        key.addr[w] = s->peer->addr[w] & bpf_htonl(mask);
    }
    const struct tk_peer_block* block = bpf_map_lookup_elem(&tk_peer_blocks, &key);
    if (!block) return 0;
    const struct tk_port_run* run = tk_run_of(block, s->port);
    if (run) s->found = tk_min(s->found, tk_min(run->slot, tk_first_process_slot(run->processes & s->processes)));
    return 0;
}

/* The winning slot for c. peer == NULL: rules with peers do not match (a listener);
 * *peer_before then says whether one that selects this process comes before the winner, so its
 * accepted sockets must be decided by their peer. c->known's process mask counts if it was
 * computed under these settings. */
static __u32 tk_decide_slot(const struct tk_context* c, const struct tk_peer* peer, __u32* peer_before) {
    const struct tk_port_class* class = &c->class;
    __u64 processes = c->known.generation == c->settings->generation ? c->known.processes : 0;
    __u32 found = class->fallback ? class->fallback : TK_NO_SLOT;
    found = tk_min(found, tk_first_process_slot(class->process_plain & processes));
    __u32 first_peer = tk_min(class->first_peer, tk_first_process_slot(class->process_peers & processes));
    if (peer_before) *peer_before = first_peer < found;
    if (peer && first_peer < found) {
        __u32 family = peer->family == TK_FAMILY_V4 ? 0 : 1;
        const struct tk_prefix_lengths* lengths = bpf_map_lookup_elem(&tk_prefixes, &family);
        if (lengths && lengths->count) {
            struct tk_search s = {.peer = peer, .direction = c->direction, .port = c->port, .processes = processes, .lengths = lengths, .found = found};
            bpf_loop(lengths->count, tk_match_prefix, &s, 0);
            found = s.found;
        }
    }
    return found == TK_NO_SLOT ? 0 : found;
}

/* The verdict of a slot, or NULL when the maps are not filled. */
static const struct tk_verdict* tk_verdict_of(__u32 slot) { return bpf_map_lookup_elem(&tk_verdicts, &slot); }

#endif
