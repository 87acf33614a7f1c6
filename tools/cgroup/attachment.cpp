#include "tools/cgroup/attachment.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>

#include "config/digest.h"
#include "system/unique_fd.h"
#include "tcpkeep_bpf.skel.h"
#include "tools/cgroup/bpf_filesystem.h"
#include "tools/cgroup/kernel_features.h"
#include "tools/cgroup/pinned_attachments.h"

namespace tcpkeep {
namespace {

using pins::attachment_ids;
using pins::attachments_in;
using pins::cgroup_id;
using pins::errno_error;
using pins::exists;
using pins::pin;
using pins::preconditions;
using pins::read_attachment;
using pins::read_settings;

struct SkeletonDeleter {
    void operator()(tcpkeep_bpf* s) const { tcpkeep_bpf__destroy(s); }
};
using Skeleton = std::unique_ptr<tcpkeep_bpf, SkeletonDeleter>;

// The attachment's pin directory, locked against another tcpkeep working on the same cgroup.
struct LockedDirectory {
    std::string path;
    UniqueFd fd;
};
Result<std::unique_ptr<LockedDirectory>> lock_directory(const std::string& path, const Cgroup& cgroup) {
    auto locked = std::make_unique<LockedDirectory>();
    locked->path = path;
    locked->fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (locked->fd.get() < 0) return errno_error("cannot open " + path, errno);
    if (::flock(locked->fd.get(), LOCK_EX | LOCK_NB) != 0)
        return Error{fmt::format("cgroup {}: another tcpkeep is attaching or detaching there right now; try again", cgroup.path), EBUSY};
    return locked;
}

// One batch call for the whole array (131,072 port entries took that many system calls one by
// one); element by element where the kernel has no batch operations for arrays.
template <typename T>
Result<void> fill(bpf_map* map, const std::vector<T>& values, const char* what) {
    const int fd = bpf_map__fd(map);
    if (values.empty()) return {};
    std::vector<std::uint32_t> keys(values.size());
    for (std::uint32_t key = 0; key < keys.size(); ++key) keys[key] = key;
    auto count = static_cast<std::uint32_t>(values.size());
    if (bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr) == 0 && count == values.size()) return {};
    for (std::uint32_t key = 0; key < values.size(); ++key)
        if (bpf_map_update_elem(fd, &key, &values[key], BPF_ANY) != 0) return errno_error(fmt::format("cannot fill the {} map", what), errno);
    return {};
}

// A hash map's entries, in one batch call where the kernel has them.
template <typename K, typename V>
Result<void> fill_pairs(bpf_map* map, const std::vector<std::pair<K, V>>& entries, const char* what) {
    const int fd = bpf_map__fd(map);
    if (entries.empty()) return {};
    std::vector<K> keys;
    std::vector<V> values;
    for (const auto& [k, v] : entries) {
        keys.push_back(k);
        values.push_back(v);
    }
    auto count = static_cast<std::uint32_t>(entries.size());
    if (bpf_map_update_batch(fd, keys.data(), values.data(), &count, nullptr) == 0 && count == entries.size()) return {};
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY) != 0) return errno_error(fmt::format("cannot fill the {} map", what), errno);
    return {};
}

// The maps sized to the policy: at least one entry each, which the kernel requires.
Result<void> size_maps(tcpkeep_bpf& skel, const CgroupPolicy& maps) {
    const std::pair<bpf_map*, std::size_t> sizes[] = {{skel.maps.tk_port_classes, maps.classes.size()},
                                                      {skel.maps.tk_peer_blocks, maps.peers.keys.size()},
                                                      {skel.maps.tk_port_runs, maps.peers.runs.size()}};
    for (const auto& [map, entries] : sizes)
        if (bpf_map__set_max_entries(map, static_cast<std::uint32_t>(std::max<std::size_t>(entries, 1))) != 0)
            return errno_error(fmt::format("cannot size the {} map", bpf_map__name(map)), errno);
    return {};
}

// A process mask kept in a socket's record counts only under the policy it was computed for: the
// records outlive a replaced policy, whose rules had other bits.
std::uint32_t new_generation() {
    std::random_device random;
    std::uint32_t generation = 0;
    while (generation == 0) generation = random();
    return generation;
}

Result<void> fill_maps(tcpkeep_bpf& skel, const CgroupPolicy& maps, const Cgroup& cgroup, const PolicySource& source, bool others) {
    if (Result<void> r = fill(skel.maps.tk_verdicts, maps.verdicts, "verdict"); !r) return r;
    if (Result<void> r = fill(skel.maps.tk_ports, maps.ports, "port"); !r) return r;
    if (Result<void> r = fill(skel.maps.tk_port_classes, maps.classes, "port class"); !r) return r;
    if (Result<void> r = fill(skel.maps.tk_process_slots, maps.process_slots, "process rule"); !r) return r;
    if (Result<void> r = fill(skel.maps.tk_port_runs, maps.peers.runs, "port run"); !r) return r;
    if (Result<void> r = fill_pairs(skel.maps.tk_peer_blocks, maps.peers.keys, "peer block"); !r) return r;
    const std::vector<tk_prefix_lengths> prefixes(maps.peers.prefixes.begin(), maps.peers.prefixes.end());
    if (Result<void> r = fill(skel.maps.tk_prefixes, prefixes, "prefix length"); !r) return r;
    if (Result<void> r = fill_pairs(skel.maps.tk_names, maps.names, "name"); !r) return r;
    tk_settings settings{};
    settings.peer_keys = static_cast<std::uint32_t>(maps.peers.keys.size());
    settings.rules = source.rules;
    settings.process_rules = maps.process_rules;
    settings.generation = new_generation();
    settings.others = others ? 1 : 0;
    settings.attached_at = static_cast<std::uint64_t>(std::time(nullptr));
    std::snprintf(settings.cgroup, sizeof settings.cgroup, "%s", cgroup.path.c_str());
    std::snprintf(settings.policy, sizeof settings.policy, "%s", source.path.c_str());
    std::snprintf(settings.digest, sizeof settings.digest, "%s", digest_hex(source.digest).c_str());  // as `attached` shows it
    const std::uint32_t zero = 0;
    if (bpf_map_update_elem(bpf_map__fd(skel.maps.tk_settings), &zero, &settings, BPF_ANY) != 0)
        return errno_error("cannot fill the settings map", errno);
    if (Result<void> r = fill(skel.maps.tk_policy_text, pins::text_chunks(source.text), "policy text"); !r) return r;
    // Nothing reads the text in the kernel: bound to the program, it lives as long as it does.
    if (bpf_prog_bind_map(bpf_program__fd(skel.progs.tcpkeep_sockops), bpf_map__fd(skel.maps.tk_policy_text), nullptr) != 0)
        return errno_error("cannot keep the policy text with the program", errno);
    return {};
}

// Opens and loads the programs, sharing the pinned socket records when there are any, with room
// for a policy text of `text_bytes` and the maps of `maps`.
Result<Skeleton> load_programs(const std::string& base, std::size_t text_bytes, const CgroupPolicy& maps) {
    Skeleton skel(tcpkeep_bpf__open());
    if (!skel) return errno_error("cannot open the cgroup-mode BPF object", errno);
    if (Result<void> sized = size_maps(*skel, maps); !sized) return sized.error();
    const auto text_entries = static_cast<std::uint32_t>((sizeof(std::uint64_t) + text_bytes + TK_TEXT_CHUNK - 1) / TK_TEXT_CHUNK);
    if (bpf_map__set_max_entries(skel->maps.tk_policy_text, text_entries) != 0) return errno_error("cannot size the policy text map", errno);
    const std::string sockets = pin(base, pins::sockets);
    if (exists(sockets)) {
        UniqueFd shared(bpf_obj_get(sockets.c_str()));
        if (shared.get() < 0) return errno_error("cannot open the socket records pinned at " + sockets, errno);
        bpf_map_info info{};
        std::uint32_t len = sizeof info;
        if (bpf_obj_get_info_by_fd(shared.get(), &info, &len) == 0 && info.value_size != sizeof(tk_socket))
            return Error{fmt::format("the socket records pinned at {} come from another version of tcpkeep (records of {} bytes, not {}); "
                                     "detach every attachment `tcpkeep attached` lists, then attach again",
                                     sockets, info.value_size, sizeof(tk_socket)),
                         0};
        if (bpf_map__reuse_fd(skel->maps.tk_sockets, shared.get()) != 0)
            return errno_error("cannot reuse the socket records pinned at " + sockets, errno);
    }
    if (tcpkeep_bpf__load(skel.get()) != 0) {
        const int error = errno;
        const bool permitted = error != EPERM && error != EACCES;  // then every probe would fail too
        return Error{kernel_refusal(permitted ? missing_kernel_features() : std::vector<KernelFeature>{}, error), error};
    }
    if (!exists(sockets) && bpf_map__pin(skel->maps.tk_sockets, sockets.c_str()) != 0) return errno_error("cannot pin " + sockets, errno);
    return skel;
}

// Links both programs to the cgroup and pins the links; on failure nothing stays attached.
Result<void> attach_new(tcpkeep_bpf& skel, const Cgroup& cgroup, const std::string& dir) {
    UniqueFd cg(::open(cgroup.directory().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (cg.get() < 0) return errno_error("cannot open " + cgroup.directory(), errno);
    bpf_link* setsockopt = bpf_program__attach_cgroup(skel.progs.tcpkeep_setsockopt, cg.get());
    if (!setsockopt) return errno_error("cannot attach the setsockopt program to " + cgroup.directory(), errno);
    bpf_link* sockops = bpf_program__attach_cgroup(skel.progs.tcpkeep_sockops, cg.get());
    Result<void> result;
    if (!sockops) {
        result = errno_error("cannot attach the sock_ops program to " + cgroup.directory(), errno);
    } else if (bpf_link__pin(setsockopt, pin(dir, pins::setsockopt).c_str()) != 0 || bpf_link__pin(sockops, pin(dir, pins::sockops).c_str()) != 0) {
        result = errno_error("cannot pin the links in " + dir, errno);
        ::unlink(pin(dir, pins::setsockopt).c_str());
        ::unlink(pin(dir, pins::sockops).c_str());
    }
    for (bpf_link* link : {setsockopt, sockops}) {
        if (!link) continue;
        if (!result) bpf_link_detach(bpf_link__fd(link));
        bpf_link__destroy(link);  // closes our descriptor; a pinned link stays attached
    }
    return result;
}

// Points the pinned links at the new programs: each switch is atomic, so every socket meets the
// old policy or the new one, never none and never both.
Result<void> replace(tcpkeep_bpf& skel, const std::string& dir) {
    const std::pair<const char*, bpf_program*> links[] = {{pins::setsockopt, skel.progs.tcpkeep_setsockopt},
                                                          {pins::sockops, skel.progs.tcpkeep_sockops}};
    for (const auto& [name, program] : links) {
        UniqueFd link(bpf_obj_get(pin(dir, name).c_str()));
        if (link.get() < 0) return errno_error("cannot open the pinned link " + pin(dir, name), errno);
        if (bpf_link_update(link.get(), bpf_program__fd(program), nullptr) != 0)
            return errno_error("cannot replace the program of " + pin(dir, name), errno);
    }
    return {};
}

// Unpins a cgroup's attachment, detaching its links first so nothing runs once it returns.
void remove_pins(const std::string& dir) {
    for (const char* name : {pins::sockops, pins::setsockopt}) {
        const std::string path = pin(dir, name);
        UniqueFd link(bpf_obj_get(path.c_str()));
        if (link.get() >= 0) bpf_link_detach(link.get());
        ::unlink(path.c_str());
    }
}

// Removes the shared socket records and the base directory once no attachment is left.
void remove_base_if_unused(const std::string& base) {
    DIR* d = ::opendir(base.c_str());
    if (!d) return;
    bool attachments = false;
    while (const dirent* e = ::readdir(d))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') attachments = true;
    ::closedir(d);
    if (attachments) return;
    ::unlink(pin(base, pins::sockets).c_str());
    ::rmdir(base.c_str());
}

// The pin directories of the other attachments whose programs may run for the same sockets as
// those attached to `cgroup`: on an ancestor or a descendant. One whose recorded path does not name
// its cgroup here (removed, or attached from another cgroup namespace) counts too: no way to tell.
std::vector<std::string> nested_attachments(const std::string& base, const std::string& own, const Cgroup& cgroup) {
    std::vector<std::string> out;
    for (const std::string& id : attachment_ids(base)) {
        const Attachment a = read_attachment(base, id, cgroup.mount);
        if (a.pin_directory == own) continue;
        if (a.cgroup.empty() || a.cgroup_removed || cgroup_paths_nested(a.cgroup, cgroup.path)) out.push_back(a.pin_directory);
    }
    return out;
}

// Tells the nested attachments that one more exists, before it is linked: the programs of nested
// cgroups all run for a socket, the nearest first, and the later ones learn from the socket's
// record that it is decided, so each must then keep records. Siblings never share a socket, and
// keep making none.
Result<void> mark_nested(const std::vector<std::string>& nested) {
    for (const std::string& dir : nested) {
        const std::string link_pin = pin(dir, pins::sockops);
        if (!exists(link_pin)) continue;
        if (Result<tk_settings> marked = read_settings(link_pin, true); !marked) return marked.error();
    }
    return {};
}

// Holds <base> locked (blocking) while an attach or detach creates or removes the shared parts: the
// socket records pinned by the first attachment and removed with the last. A base removed by the
// detach that held the lock before is made again.
Result<UniqueFd> lock_base(const std::string& base, bool create) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        if (create && ::mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("cannot create " + base, errno);
        UniqueFd fd(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd.valid()) return errno_error("cannot open " + base, errno);
        if (::flock(fd.get(), LOCK_EX) != 0) return errno_error("cannot lock " + base, errno);
        struct stat st {};
        if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0) return fd;
    }
    return Error{base + " keeps disappearing: another tcpkeep is detaching; try again", EBUSY};
}

}  // namespace

bool cgroup_mode_built() { return true; }

Result<bool> attach_policy(const Cgroup& cgroup, const CgroupPolicy& maps, const PolicySource& source, ExistingSockets* existing) {
    Result<std::string> base = preconditions(true);
    if (!base) return base.error();
    const auto base_lock = lock_base(*base, true);
    if (!base_lock) return base_lock.error();
    const std::string dir = fmt::format("{}/{}", *base, cgroup_id(cgroup));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("cannot create " + dir, errno);
    auto locked = lock_directory(dir, cgroup);
    if (!locked) return locked.error();
    const bool replacing = exists(pin(dir, pins::sockops));
    const std::vector<std::string> nested = nested_attachments(*base, dir, cgroup);
    Result<Skeleton> skel = load_programs(*base, source.text.size(), maps);
    Result<void> done = skel ? mark_nested(nested) : Result<void>(skel.error());
    if (done) done = fill_maps(**skel, maps, cgroup, source, !nested.empty());
    // The replaced program, held so its maps can still tell what it decided for the sockets.
    Result<UniqueFd> replaced = replacing && existing ? pins::program_of_link(pin(dir, pins::sockops)) : Result<UniqueFd>(UniqueFd());
    if (done) done = replacing ? replace(**skel, dir) : attach_new(**skel, cgroup, dir);
    if (!done) {
        if (!replacing) {
            ::rmdir(dir.c_str());
            remove_base_if_unused(*base);
        }
        return done.error();
    }
    if (existing) {
        const int previous = replaced ? replaced->get() : -1;
        Result<ExistingSockets> covered = decide_existing_sockets(cgroup, *base, bpf_program__fd((*skel)->progs.tcpkeep_sockops), previous, true);
        if (covered)
            *existing = *covered;
        else
            existing->error = covered.error().message;
    }
    return replacing;
}

Result<ExistingSockets> apply_to_existing_sockets(const Cgroup& cgroup, const CgroupPolicy& maps, const PolicySource& source) {
    Result<std::string> base = preconditions(true);
    if (!base) return base.error();
    const auto base_lock = lock_base(*base, true);
    if (!base_lock) return base_lock.error();
    // Loaded and filled as for an attachment, never linked to the cgroup: only the iterator runs
    // them, and they go with this process. The socket records are the attachments' when there are
    // any, so options an attached policy enforces or saw the program set are respected.
    Result<Skeleton> skel = load_programs(*base, source.text.size(), maps);
    Result<void> filled = skel ? fill_maps(**skel, maps, cgroup, source, false) : Result<void>(skel.error());
    Result<ExistingSockets> out = filled ? decide_existing_sockets(cgroup, *base, bpf_program__fd((*skel)->progs.tcpkeep_sockops), -1, false)
                                         : Result<ExistingSockets>(filled.error());
    remove_base_if_unused(*base);
    return out;
}

Result<void> detach_policy(const Cgroup& cgroup) {
    Result<std::string> base = preconditions(false);
    if (!base) return base.error();
    const std::string dir = fmt::format("{}/{}", *base, cgroup_id(cgroup));
    if (!exists(pin(dir, pins::sockops))) return Error{"no tcpkeep policy is attached", ENOENT};
    const auto base_lock = lock_base(*base, false);
    if (!base_lock) return base_lock.error();
    auto locked = lock_directory(dir, cgroup);
    if (!locked) return locked.error();
    remove_pins(dir);
    ::rmdir(dir.c_str());
    remove_base_if_unused(*base);
    return {};
}

Result<void> detach_removed_cgroup(const std::string& path) {
    Result<std::string> base = preconditions(false);
    if (!base) return base.error();
    const auto base_lock = lock_base(*base, false);
    if (!base_lock) return base_lock.error();
    bool found = false;
    for (const Attachment& a : attachments_in(*base)) {
        if (!a.cgroup_removed || a.cgroup != path) continue;
        remove_pins(a.pin_directory);
        ::rmdir(a.pin_directory.c_str());
        found = true;
    }
    remove_base_if_unused(*base);
    if (!found) return Error{"no such cgroup, and no attachment of a removed cgroup of that path", ENOENT};
    return {};
}

}  // namespace tcpkeep
