/* What bpf/deadpeer.bpf.c tells user space (tools/monitor/dead_peer_events.cpp): one record per TCP
 * connection the kernel aborted because its peer stayed silent. Shared by C (BPF) and C++. */
#ifndef TCPKEEP_DEADPEER_ABI_H
#define TCPKEEP_DEADPEER_ABI_H
#include <linux/types.h>

/* Why the kernel gave up on the connection. */
enum tk_dead_cause {
    TK_DEAD_KEEPALIVE = 0,    /* keepalive probes unanswered (count, or the user timeout while probing) */
    TK_DEAD_USER_TIMEOUT = 1, /* unacknowledged data past TCP_USER_TIMEOUT */
    TK_DEAD_RETRANSMIT = 2,   /* unacknowledged data past tcp_retries2 retransmissions */
    TK_DEAD_SYN = 3,          /* connect(): SYN retransmissions (tcp_syn_retries) unanswered */
    TK_DEAD_CAUSES = 4,
};

struct tk_dead_peer {
    __u64 cgroup_id;        /* the socket's cgroup (v2), where the kernel charged it */
    __u64 socket_inode;     /* its inode, to find the process holding it; 0 when already orphaned */
    __u32 cause;            /* enum tk_dead_cause */
    __s32 error;            /* sk_err: ETIMEDOUT, or the soft error an ICMP message left */
    __u32 silence_ms;       /* since the peer was last heard (idle) or the data was first sent (busy, SYN) */
    __u32 hz;               /* the kernel's jiffies per second (CONFIG_HZ); 0 unknown */
    /* The socket's own values; 0 means the namespace's sysctl. Keepalive times in jiffies. */
    __u32 keepalive_time;
    __u32 keepalive_intvl;
    __u32 user_timeout_ms;
    __u8 keepalive_probes;
    __u8 keepalive_on;       /* SO_KEEPALIVE */
    __u8 probes_out;         /* keepalive probes sent unanswered */
    __u8 retransmits;        /* retransmissions of the oldest segment */
    __u8 old_state;          /* the TCP state it left (TCP_SYN_SENT for connect) */
    __u8 family;             /* AF_INET, AF_INET6 */
    __u16 local_port;        /* host order */
    __u16 remote_port;       /* host order */
    __u8 pad[2];
    __u8 local_addr[16];     /* IPv4: the first four bytes */
    __u8 remote_addr[16];
};

#endif
