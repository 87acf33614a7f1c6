/* Which `process` rules select the current process: its executable's file name and its
 * thread-group leader's command name, looked up among the policy's literal names. Only meaningful
 * where the current task is the program: at connect and at listen. */
#ifndef TCPKEEP_BPF_PROCESS_H
#define TCPKEEP_BPF_PROCESS_H
#include <linux/bpf.h>  // before libbpf's headers, which use its types

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "policy_maps.bpf.h"

/* The few kernel fields read, located by libbpf in the running kernel's BTF (the ___tk suffix is
 * dropped when matching), so no kernel headers are needed and layouts may differ. */
struct qstr___tk {
    const unsigned char* name;
} __attribute__((preserve_access_index));
struct dentry___tk {
    struct qstr___tk d_name;
} __attribute__((preserve_access_index));
struct path___tk {
    struct dentry___tk* dentry;
} __attribute__((preserve_access_index));
struct file___tk {
    struct path___tk f_path;
} __attribute__((preserve_access_index));
struct mm_struct___tk {
    struct file___tk* exe_file;
} __attribute__((preserve_access_index));
struct task_struct___tk {
    struct task_struct___tk* group_leader;
    struct mm_struct___tk* mm;
    char comm[16];
} __attribute__((preserve_access_index));

/* A name read with one byte to spare, to tell a name of TK_NAME_BYTES - 1 characters from a
 * longer one, which no policy name can equal. */
struct tk_name_read {
    struct tk_name key;
    char spare[8];
};

static __u64 tk_name_mask(struct tk_name_read* n, long length) {
    if (length <= 1 || length > TK_NAME_BYTES) return 0; /* empty, failed, or too long to be a policy name */
    const __u64* mask = bpf_map_lookup_elem(&tk_names, &n->key);
    return mask ? *mask : 0;
}

/* The process mask of the current process. The leader's comm is what /proc/PID/comm shows (the
 * shim's comm); a worker thread's own name (io_uring's iou-wrk-N, a renamed thread) is not used. */
static __u64 tk_current_processes(void) {
    struct task_struct___tk* task = (struct task_struct___tk*)bpf_get_current_task();
    struct task_struct___tk* leader = BPF_CORE_READ(task, group_leader);
    struct tk_name_read n = {};
    __u64 mask = tk_name_mask(&n, bpf_core_read_str(n.key.name, sizeof n.key.name, &leader->comm));
    const unsigned char* exe = BPF_CORE_READ(task, mm, exe_file, f_path.dentry, d_name.name);
    if (!exe) return mask;
    struct tk_name_read e = {};
    return mask | tk_name_mask(&e, bpf_probe_read_kernel_str(&e, sizeof e, exe));
}

/* Records in the socket's record the process mask of the program, under the current policy. */
static void tk_note_process(struct tk_socket* record) {
    __u32 zero = 0;
    const struct tk_settings* settings = bpf_map_lookup_elem(&tk_settings, &zero);
    if (!settings || !settings->process_rules || record->generation == settings->generation) return;
    record->processes = tk_current_processes();
    record->generation = settings->generation;
}

#endif
