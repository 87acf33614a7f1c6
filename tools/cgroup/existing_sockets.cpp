#include "tools/cgroup/existing_sockets.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

#include "config/kernel_defaults.h"
#include "system/small_file.h"
#include "system/unique_fd.h"
#include "tcpkeep_existing.skel.h"
#include "tools/cgroup/cgroup_members.h"
#include "tools/cgroup/pinned_attachments.h"

namespace tcpkeep {
namespace {

using pins::errno_error;

// What the iterator shares with the program whose decision it gives: every map a decision reads.
constexpr const char* decision_maps[] = {"tk_verdicts", "tk_ports", "tk_port_classes", "tk_process_slots", "tk_peer_blocks",
                                         "tk_port_runs", "tk_prefixes", "tk_settings", "tk_names"};

struct IteratorDeleter {
    void operator()(tcpkeep_existing* s) const { tcpkeep_existing__destroy(s); }  // detaches its link too
};
using Iterator = std::unique_ptr<tcpkeep_existing, IteratorDeleter>;

// The iterator loaded with the maps of `program`, for the sockets of `cgroups`, the owners' process
// masks under that program's policy, and (from `shared`) the listening ports and kept decisions of
// an earlier pass. An error names what this kernel or that program lacks.
Result<Iterator> load_iterator(int program, const std::string& sockets_pin, const CgroupMembers& members,
                               const std::map<std::uint64_t, pid_t>& holders, tcpkeep_existing* shared) {
    Iterator it(tcpkeep_existing__open());
    if (!it) return errno_error("cannot open the TCP iterator's BPF object", errno);
    std::vector<pins::ProgramMap> maps = pins::maps_of_program(program);
    for (const char* name : decision_maps) {
        // (the kernel keeps the first BPF_OBJ_NAME_LEN - 1 characters of a map's name)
        const auto found = std::find_if(maps.begin(), maps.end(),
                                        [&](const pins::ProgramMap& m) { return std::strncmp(m.info.name, name, sizeof m.info.name - 1) == 0; });
        if (found == maps.end()) return Error{fmt::format("the attached program has no {} map (attached by another version of tcpkeep)", name), ENOENT};
        if (bpf_map__reuse_fd(bpf_object__find_map_by_name(it->obj, name), found->fd.get()) != 0) return errno_error("cannot share the map " + std::string(name), errno);
    }
    UniqueFd records(bpf_obj_get(sockets_pin.c_str()));
    if (!records.valid() || bpf_map__reuse_fd(it->maps.tk_sockets, records.get()) != 0) return errno_error("cannot open the socket records " + sockets_pin, errno);
    if (shared) {
        if (bpf_map__reuse_fd(it->maps.tk_listening, bpf_map__fd(shared->maps.tk_listening)) != 0 ||
            bpf_map__reuse_fd(it->maps.tk_previous, bpf_map__fd(shared->maps.tk_previous)) != 0)
            return errno_error("cannot share the iterator's maps", errno);
    }
    bpf_map__set_max_entries(it->maps.tk_cgroups, static_cast<std::uint32_t>(std::max<std::size_t>(members.cgroups.size(), 1)));
    bpf_map__set_max_entries(it->maps.tk_owners, static_cast<std::uint32_t>(std::max<std::size_t>(holders.size(), 1)));
    if (tcpkeep_existing__load(it.get()) != 0)
        return Error{fmt::format("the kernel refused the TCP iterator ({}): covering the sockets that already exist needs "
                                 "bpf_setsockopt from iter/tcp programs (Linux >= 5.15) and the kernel's BTF",
                                 std::strerror(errno)),
                     errno};
    const std::uint8_t one = 1;
    for (const std::uint64_t id : members.cgroups)
        if (bpf_map_update_elem(bpf_map__fd(it->maps.tk_cgroups), &id, &one, BPF_ANY) != 0) return errno_error("cannot fill the cgroup map", errno);
    // Each holder's process mask under this policy: its names looked up as the program does.
    const int names = bpf_map__fd(bpf_object__find_map_by_name(it->obj, "tk_names"));
    std::map<pid_t, std::uint64_t> masks;
    for (const auto& [inode, pid] : holders) {
        auto [at, added] = masks.emplace(pid, 0);
        if (added) {
            const ProcessNames who = process_names_of(pid);
            for (const std::string& name : {who.exe, who.comm}) {
                tk_name key{};
                std::uint64_t bits = 0;
                if (name.empty() || name.size() >= sizeof key.name) continue;
                std::memcpy(key.name, name.data(), name.size());
                if (bpf_map_lookup_elem(names, &key, &bits) == 0) at->second |= bits;
            }
        }
        if (bpf_map_update_elem(bpf_map__fd(it->maps.tk_owners), &inode, &at->second, BPF_ANY) != 0) return errno_error("cannot fill the owner map", errno);
    }
    if (tcpkeep_existing__attach(it.get()) != 0) return errno_error("cannot attach the TCP iterator", errno);
    return it;
}

// Whether the policy a program decides by has `process` rules, which need each socket's holder.
bool has_process_rules(int program) {
    for (const pins::ProgramMap& map : pins::maps_of_program(program)) {
        tk_settings settings{};
        const std::uint32_t zero = 0;
        if (std::strcmp(map.info.name, "tk_settings") == 0 && map.info.value_size == sizeof settings &&
            bpf_map_lookup_elem(map.fd.get(), &zero, &settings) == 0)
            return settings.process_rules != 0;
    }
    return false;
}

// A sysctl of the calling thread's network namespace: its numbers (none when unreadable).
std::vector<long> sysctl_numbers(const char* name) {
    const Result<std::string> text = read_small_file(std::string("/proc/sys/net/ipv4/") + name);
    std::vector<long> out;
    for (const char* at = text ? text->c_str() : ""; out.size() < 2;) {
        char* end = nullptr;
        const long v = std::strtol(at, &end, 10);
        if (end == at) break;
        out.push_back(v);
        at = end;
    }
    return out;
}

void set_namespace_facts(tcpkeep_existing& it, std::uint64_t ns) {
    const KernelDefaults kernel;
    auto one = [](const char* name, int fallback) {
        const std::vector<long> v = sysctl_numbers(name);
        return v.empty() ? fallback : static_cast<int>(v[0]);
    };
    const std::vector<long> range = sysctl_numbers("ip_local_port_range");
    it.bss->tk_netns = static_cast<std::uint32_t>(ns);
    it.bss->tk_ephemeral_first = range.size() == 2 ? static_cast<std::uint32_t>(range[0]) : 32768;
    it.bss->tk_ephemeral_last = range.size() == 2 ? static_cast<std::uint32_t>(range[1]) : 60999;
    it.bss->tk_default_idle = one("tcp_keepalive_time", kernel.keepalive_time_s);
    it.bss->tk_default_interval = one("tcp_keepalive_intvl", kernel.keepalive_intvl_s);
    it.bss->tk_default_count = one("tcp_keepalive_probes", kernel.keepalive_probes);
}

Result<void> run_pass(tcpkeep_existing& it, std::uint32_t pass) {
    it.bss->tk_pass = pass;
    UniqueFd reader(bpf_iter_create(bpf_link__fd(it.links.tcpkeep_existing)));
    if (!reader.valid()) return errno_error("cannot start the TCP iterator", errno);
    char buffer[512];
    ssize_t n = 0;
    while ((n = ::read(reader.get(), buffer, sizeof buffer)) > 0) {
    }
    if (n < 0) return errno_error("the TCP iterator failed", errno);
    return {};
}

// The passes in the namespace of `pid`, from a thread that enters it: an iterator walks the
// namespace of the thread that starts it.
Result<void> walk_namespace(std::uint64_t ns, pid_t pid, tcpkeep_existing& current, tcpkeep_existing* replaced) {
    Result<void> result;
    std::thread walker([&] {
        UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (!pidfd.valid() || ::setns(pidfd.get(), CLONE_NEWNET) != 0) {
            result = errno == ESRCH ? Result<void>() : errno_error(fmt::format("cannot enter the network namespace of process {}", pid), errno);
            return;  // a process that has exited leaves nothing behind
        }
        set_namespace_facts(current, ns);
        if (replaced) set_namespace_facts(*replaced, ns);
        result = run_pass(current, 0);  // TK_PASS_LISTENERS
        if (result && replaced) result = run_pass(*replaced, 1);  // TK_PASS_PREVIOUS
        if (result) result = run_pass(current, 2);  // TK_PASS_APPLY
    });
    walker.join();
    return result;
}

}  // namespace

Result<ExistingSockets> decide_existing_sockets(const Cgroup& cgroup, const std::string& base, int policy_program, int replaced_program,
                                                bool nearest_decides) {
    const CgroupMembers members = cgroup_members(
        cgroup, [&](std::uint64_t id) { return nearest_decides && pins::exists(fmt::format("{}/{}/{}", base, id, pins::sockops)); });
    const std::map<std::uint64_t, pid_t> namespaces = namespaces_of(members.processes);
    ExistingSockets out;
    out.namespaces = namespaces.size();
    if (namespaces.empty()) return out;
    const std::string sockets_pin = pins::pin(base, pins::sockets);
    const bool by_process = has_process_rules(policy_program) || (replaced_program >= 0 && has_process_rules(replaced_program));
    const std::map<std::uint64_t, pid_t> holders = by_process ? socket_holders(members.processes) : std::map<std::uint64_t, pid_t>{};
    Result<Iterator> current = load_iterator(policy_program, sockets_pin, members, holders, nullptr);
    if (!current) return current.error();
    Result<Iterator> replaced = replaced_program >= 0 ? load_iterator(replaced_program, sockets_pin, members, holders, current->get())
                                                      : Result<Iterator>(Error{"none", 0});
    out.compared = replaced.ok();
    (*current)->bss->tk_replacing = out.compared ? 1 : 0;
    for (const auto& [ns, pid] : namespaces)
        if (Result<void> walked = walk_namespace(ns, pid, **current, out.compared ? replaced->get() : nullptr); !walked) return walked.error();
    const auto& counts = *(*current)->bss;
    out.set = counts.tk_set_count;
    out.programs = counts.tk_program_count;
    out.skipped = counts.tk_skipped_count;
    out.unchanged = counts.tk_unchanged_count;
    return out;
}

}  // namespace tcpkeep
