/* The maps user space fills with a compiled policy, and the socket-local records. */
#ifndef TCPKEEP_BPF_POLICY_MAPS_H
#define TCPKEEP_BPF_POLICY_MAPS_H
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_helpers.h>

#include "policy_abi.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, TK_MAX_VERDICTS);
    __type(key, __u32);
    __type(value, struct tk_verdict);
} tk_verdicts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, TK_PORT_ENTRIES);
    __type(key, __u32);
    __type(value, __u32);
} tk_ports SEC(".maps");

/* Sized at attach to what the policy needs (tools/cgroup/attachment.cpp). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct tk_port_class);
} tk_port_classes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, TK_MAX_PROCESS_RULES);
    __type(key, __u32);
    __type(value, __u32);
} tk_process_slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1);
    __type(key, struct tk_peer_key);
    __type(value, struct tk_peer_block);
} tk_peer_blocks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct tk_port_run);
} tk_port_runs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct tk_prefix_lengths);
} tk_prefixes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(max_entries, TK_MAX_NAMES);
    __type(key, struct tk_name);
    __type(value, __u64);
} tk_names SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct tk_settings);
} tk_settings SEC(".maps");

/* The text the policy was compiled from, so verify judges by what is attached whatever its mount
 * namespace and whatever the file holds now. No program reads it: the tool binds it to the sock_ops
 * program, so it lives and is replaced with it. Sized at attach. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, TK_TEXT_CHUNK);
} tk_policy_text SEC(".maps");

/* Cloned onto accepted sockets, so a child knows what its listener was given. */
struct {
    __uint(type, BPF_MAP_TYPE_SK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
    __type(key, int);
    __type(value, struct tk_socket);
} tk_sockets SEC(".maps");

#endif
