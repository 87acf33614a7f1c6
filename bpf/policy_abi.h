/* The layout of the cgroup-mode maps, shared by the BPF program and the tool that fills them.
 * Plain C with fixed-width kernel types, so clang -target bpf and the C++ tool read it alike. */
#ifndef TCPKEEP_BPF_POLICY_ABI_H
#define TCPKEEP_BPF_POLICY_ABI_H
#include <linux/types.h>

/* The five options, as bits of a mask, in the order of tcpkeep::Option. */
#define TK_OPT_KEEPALIVE (1u << 0)
#define TK_OPT_IDLE (1u << 1)
#define TK_OPT_INTERVAL (1u << 2)
#define TK_OPT_COUNT (1u << 3)
#define TK_OPT_USER_TIMEOUT (1u << 4)

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
    __u8 keepalive;
    __s32 idle_s;
    __s32 interval_s;
    __s32 count;
    __s32 user_timeout_ms;
};

/* Ports: key direction * 65536 + port (direction 0 outbound by remote port, 1 inbound by local
 * port); value: the verdict slot of the first matching rule with neither peers nor process (0:
 * defaults), with TK_PEER_CANDIDATES when a rule with peers comes before it and
 * TK_PROCESS_CANDIDATES when a rule with process (and no peers) does. */
#define TK_PORT_ENTRIES (2 * 65536)
#define TK_PEER_CANDIDATES 0x80000000u
#define TK_PROCESS_CANDIDATES 0x40000000u
#define TK_SLOT_BITS 0x3fffffffu

/* Candidates: the rules with peers or process, in file order, one entry per (peer block, port
 * range) of each. The first entry that matches wins if its slot comes before the port's fallback. */
#define TK_MAX_CANDIDATES 65536
#define TK_FAMILY_ANY 0 /* a rule without peers */
#define TK_FAMILY_V4 4
#define TK_FAMILY_V6 6
struct tk_candidate {
    __u32 slot;
    __u8 directions; /* bit 0 outbound, bit 1 inbound */
    __u8 family;     /* TK_FAMILY_*; v4-mapped IPv6 peers are v4 */
    __u16 port_first;
    __u16 port_last;
    __u8 process; /* 0: any process; n: bit n - 1 of the process mask must be set */
    __u8 pad;
    __u32 net[4]; /* network order; v4 in net[0] */
    __u32 mask[4];
};

/* Process names: each literal name of a `process` pattern, NUL-padded, to the mask of the rules
 * (bit i: the i-th rule with process, in file order) it selects. The program looks up the
 * executable's file name and the command name (comm) of the thread-group leader. */
#define TK_MAX_PROCESS_RULES 64
#define TK_NAME_BYTES 64 /* names up to 63 characters */
#define TK_MAX_NAMES 1024
struct tk_name {
    char name[TK_NAME_BYTES];
};

/* Index 0 of the settings array map. The program reads candidates, process_rules and generation;
 * the rest says what is attached, for `tcpkeep attached` and `verify`. */
#define TK_TEXT_BYTES 512
struct tk_settings {
    __u32 candidates;           /* used entries of the candidate map */
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
