/* The layout of the cgroup-mode maps, shared by the BPF program and the tool that fills them.
 * Plain C with fixed-width kernel types, so clang -target bpf and the C++ tool read it alike. */
#ifndef TCPKEEP_BPF_POLICY_ABI_H
#define TCPKEEP_BPF_POLICY_ABI_H
#include <linux/types.h>

/* The five options, one row each, in the order of tcpkeep::Option (config/option_table.h):
 *   X(NAME, field, type, level, optname, low, high)
 * NAME: TK_OPT_<NAME> is its bit in a mask, 1 << its row; field, type: its value in struct
 * tk_verdict; level, optname: what setsockopt takes; low..high: the values the kernel accepts
 * (tcp(7)). Everything the BPF programs do per option expands this list; the C++ build checks
 * each column against config/option_table.h (tests/unit/option_abi_test.cpp). */
#define TK_INT_MAX 0x7fffffff
#define TK_INT_MIN (-TK_INT_MAX - 1)
#define TK_OPTIONS(X)                                                                                \
    X(KEEPALIVE, keepalive, __u8, 1 /* SOL_SOCKET */, 9 /* SO_KEEPALIVE */, TK_INT_MIN, TK_INT_MAX) \
    X(IDLE, idle_s, __s32, 6 /* SOL_TCP */, 4 /* TCP_KEEPIDLE */, 1, 32767)                         \
    X(INTERVAL, interval_s, __s32, 6 /* SOL_TCP */, 5 /* TCP_KEEPINTVL */, 1, 32767)                \
    X(COUNT, count, __s32, 6 /* SOL_TCP */, 6 /* TCP_KEEPCNT */, 1, 127)                            \
    X(USER_TIMEOUT, user_timeout_ms, __s32, 6 /* SOL_TCP */, 18 /* TCP_USER_TIMEOUT */, 0, TK_INT_MAX)

enum tk_option_row {
#define TK_OPTION_ROW(NAME, ...) TK_OPT_ROW_##NAME,
    TK_OPTIONS(TK_OPTION_ROW)
#undef TK_OPTION_ROW
    TK_OPTION_COUNT
};
enum tk_option_bit {
#define TK_OPTION_BIT(NAME, ...) TK_OPT_##NAME = 1u << TK_OPT_ROW_##NAME,
    TK_OPTIONS(TK_OPTION_BIT)
#undef TK_OPTION_BIT
};

#define TK_KIND_UNTOUCHED 0
#define TK_KIND_SKIP 1
#define TK_KIND_APPLY 2

/* The policy's text kept with an attachment, in entries of TK_TEXT_CHUNK bytes: entry 0 starts
 * with its length (__u64), the text follows across the entries. */
#define TK_TEXT_CHUNK 4096

/* Verdicts: slot 0 is [defaults] (or "untouched"), slot r + 1 the rule at file position r. */
#define TK_MAX_VERDICTS 65536
struct tk_verdict {
    __u8 kind;
    __u8 enforce;
    __u8 mask; /* TK_OPT_* to set */
    /* Then each option's value, in TK_OPTIONS order: __u8 keepalive, __s32 idle_s, interval_s,
     * count, user_timeout_ms. */
#define TK_VERDICT_FIELD(NAME, field, type, ...) type field;
    TK_OPTIONS(TK_VERDICT_FIELD)
#undef TK_VERDICT_FIELD
};

/* Ports: key direction * 65536 + port (direction 0 outbound by remote port, 1 inbound by local
 * port); value: the index of the port's class in tk_port_classes. Ports alike share a class. */
#define TK_PORT_ENTRIES (2 * 65536)
#define TK_NO_SLOT 0xffffffffu
struct tk_port_class {
    __u32 fallback;      /* the verdict slot of the first rule with neither peers nor process (0: defaults) */
    __u32 first_peer;    /* the slot of the first rule with peers (no process) before the fallback, or TK_NO_SLOT */
    __u64 process_plain; /* process rules (bits of a process mask) without peers before the fallback */
    __u64 process_peers; /* process rules with peers before the fallback */
};

/* Process rule i (bit i of a process mask) is the rule of verdict slot
 * tk_process_slots[TK_PROCESS_INDEX(1 << i)]; the bits follow the file order, so the lowest bit
 * set is the first rule. TK_PROCESS_INDEX(bits) is a distinct index below 64 for each lowest bit
 * (de Bruijn: the isolated bit times the sequence, its top six bits). */
#define TK_MAX_PROCESS_RULES 64
#define TK_PROCESS_INDEX(bits) ((__u32)((((__u64)(bits) & -(__u64)(bits)) * 0x03f79d71b4cb0a89ull) >> 58))

/* Peer blocks: one hash entry per (family, prefix length, direction, block) of the rules with
 * peers, so an address is looked up once per prefix length the policy uses, however many rules
 * there are. Its value names the block's port runs in tk_port_runs: sorted, disjoint, each with
 * the first rule of the block without process that covers it and the process rules of the block
 * that cover it before that one. */
#define TK_FAMILY_V4 4
#define TK_FAMILY_V6 6 /* v4-mapped IPv6 peers are v4 */
struct tk_peer_key {
    __u8 family;
    __u8 prefix; /* bits */
    __u8 direction;
    __u8 pad;
    __u32 addr[4]; /* network order, the bits past the prefix zero; v4 in addr[0] */
};
struct tk_peer_block {
    __u32 first_run;
    __u32 runs;
};
struct tk_port_run {
    __u16 port_first;
    __u16 port_last;
    __u32 slot; /* TK_NO_SLOT: only process rules */
    __u64 processes;
};
#define TK_MAX_PEER_KEYS (1u << 20)
#define TK_MAX_PORT_RUNS (1u << 22)
#define TK_MAX_RUN_STEPS 18 /* binary search steps: a block has fewer than 2^18 runs */

/* The prefix lengths in use, per family (index 0 v4, 1 v6). */
struct tk_prefix_lengths {
    __u32 count;
    __u8 length[132];
};

/* Process names: each literal name of a `process` pattern, NUL-padded, to the mask of the rules
 * (bit i: the i-th rule with process, in file order) it selects. The program looks up the
 * executable's file name and the command name (comm) of the thread-group leader. */
#define TK_NAME_BYTES 64 /* names up to 63 characters */
#define TK_MAX_NAMES 1024
struct tk_name {
    char name[TK_NAME_BYTES];
};

/* Index 0 of the settings array map. The program reads process_rules and generation;
 * the rest says what is attached, for `tcpkeep attached` and `verify`. */
#define TK_TEXT_BYTES 512
struct tk_settings {
    __u32 peer_keys;            /* entries of the peer block map */
    __u32 rules;                /* rules in the policy */
    __u32 process_rules;        /* rules with process (bits of a process mask) */
    __u32 generation;           /* nonzero, different for each attach: which policy a process mask belongs to */
    __u32 others;               /* 1: attachments of nested cgroups may run after this one and must see what it decided */
    __u64 attached_at;          /* CLOCK_REALTIME seconds */
    char cgroup[TK_TEXT_BYTES]; /* the cgroup's path in the v2 hierarchy ("/system.slice/x.service") */
    char policy[TK_TEXT_BYTES]; /* the policy file's path */
    char digest[24];            /* digest64 of the policy text, in hex */
};

/* What is known of one socket, kept in socket-local storage and cloned onto accepted sockets. */
#define TK_SOCKET_CONFIGURED 1 /* decided (listener: configured; children inherited) */
#define TK_SOCKET_PER_PEER 2   /* listener whose children are decided by their peer */
struct tk_socket {
    __u8 program_set; /* TK_OPT_* the program set itself */
    __u8 enforced;    /* TK_OPT_* whose setsockopt by the program is ignored */
    __u8 state;       /* TK_SOCKET_* */
    __u8 pad;
    __u32 generation; /* of the policy `processes` was computed for; 0: never */
    __u64 processes;  /* process mask of the program that connected or listened */
};

#endif
