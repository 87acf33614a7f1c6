/* Whose a socket is, for the programs that meet sockets outside their owner's task (the TCP
 * iterator, the dead-peer tracepoint): the cgroup v2 id it was made in, and the inode its file
 * descriptors link to (/proc/PID/fd: "socket:[INODE]"). The kernel fields are located in the running
 * kernel's BTF; the ___own suffix is dropped when matching, and keeps these apart from the other
 * headers' partial views of the same structs. */
#ifndef TCPKEEP_BPF_SOCKET_OWNER_H
#define TCPKEEP_BPF_SOCKET_OWNER_H
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_core_read.h>

struct kernfs_node___own {
    __u64 id;
} __attribute__((preserve_access_index));
struct cgroup___own {
    struct kernfs_node___own* kn;
} __attribute__((preserve_access_index));
struct sock_cgroup_data___own {
    struct cgroup___own* cgroup;
} __attribute__((preserve_access_index));
struct inode___own {
    unsigned long i_ino;
} __attribute__((preserve_access_index));
struct file___own {
    struct inode___own* f_inode;
} __attribute__((preserve_access_index));
struct socket___own {
    struct file___own* file;
} __attribute__((preserve_access_index));
struct sock___own {
    struct sock_cgroup_data___own sk_cgrp_data;
    struct socket___own* sk_socket;
} __attribute__((preserve_access_index));

static __always_inline __u64 socket_cgroup_id(const void* sk) { return BPF_CORE_READ((const struct sock___own*)sk, sk_cgrp_data.cgroup, kn, id); }

/* 0 for a socket no file holds any more (closed, on its way out). */
static __always_inline __u64 socket_inode(const void* sk) { return BPF_CORE_READ((const struct sock___own*)sk, sk_socket, file, f_inode, i_ino); }

#endif
