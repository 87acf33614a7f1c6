#include "tools/cgroup/pinned_attachments.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "config/digest.h"
#include "system/unique_fd.h"
#include "tools/cgroup/bpf_filesystem.h"

namespace tcpkeep::pins {
namespace {

int libbpf_to_stderr_when_asked(libbpf_print_level level, const char* format, va_list args) {
    if (level != LIBBPF_WARN || std::getenv("TCPKEEP_BPF_DEBUG") == nullptr) return 0;
    return std::vfprintf(stderr, format, args);
}

// The map called `name` of the program a pinned link runs, and its description.
Result<ProgramMap> open_program_map(const std::string& link_pin, const char* name) {
    Result<UniqueFd> prog = program_of_link(link_pin);
    if (!prog) return prog.error();
    for (ProgramMap& map : maps_of_program(prog->get()))
        if (std::strcmp(map.info.name, name) == 0) return std::move(map);
    return Error{fmt::format("{}: no {} map (not a tcpkeep program, or one of another version)", link_pin, name), ENOENT};
}

Result<void> need_root() {
    if (::geteuid() != 0) return Error{"cgroup mode needs root (CAP_BPF, CAP_NET_ADMIN and write access to the BPF filesystem)", EPERM};
    return {};
}

}  // namespace

Result<UniqueFd> program_of_link(const std::string& link_pin) {
    UniqueFd link(bpf_obj_get(link_pin.c_str()));
    if (link.get() < 0) return errno_error("cannot open " + link_pin, errno);
    bpf_link_info link_info{};
    std::uint32_t len = sizeof link_info;
    if (bpf_obj_get_info_by_fd(link.get(), &link_info, &len) != 0) return errno_error("cannot read " + link_pin, errno);
    UniqueFd prog(bpf_prog_get_fd_by_id(link_info.prog_id));
    if (prog.get() < 0) return errno_error("cannot open the program of " + link_pin, errno);
    return prog;
}

std::vector<ProgramMap> maps_of_program(int prog_fd) {
    std::uint32_t map_ids[16] = {};
    bpf_prog_info prog_info{};
    prog_info.nr_map_ids = 16;
    prog_info.map_ids = reinterpret_cast<std::uint64_t>(map_ids);
    std::uint32_t len = sizeof prog_info;
    std::vector<ProgramMap> out;
    if (bpf_obj_get_info_by_fd(prog_fd, &prog_info, &len) != 0) return out;
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(prog_info.nr_map_ids, 16); ++i) {
        ProgramMap map{UniqueFd(bpf_map_get_fd_by_id(map_ids[i])), {}};
        len = sizeof map.info;
        if (map.fd.get() >= 0 && bpf_obj_get_info_by_fd(map.fd.get(), &map.info, &len) == 0) out.push_back(std::move(map));
    }
    return out;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Error errno_error(const std::string& what, int error) { return Error{fmt::format("{}: {}", what, std::strerror(error)), error}; }

void quiet_libbpf() { libbpf_set_print(libbpf_to_stderr_when_asked); }

Result<std::string> base_directory(bool create) {
    Result<std::string> fs = bpf_filesystem(create);
    if (!fs) return fs.error();
    std::string base = *fs + "/tcpkeep";
    if (create && ::mkdir(base.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("cannot create " + base, errno);
    return base;
}

Result<std::string> preconditions(bool create) {
    quiet_libbpf();
    if (Result<void> root = need_root(); !root) return root.error();
    return base_directory(create);
}

std::uint64_t cgroup_id(const Cgroup& cgroup) {
    struct stat st {};
    return ::stat(cgroup.directory().c_str(), &st) == 0 ? st.st_ino : 0;  // a cgroup's id is its inode number
}

Result<tk_settings> read_settings(const std::string& link_pin, bool set_others) {
    Result<ProgramMap> found = open_program_map(link_pin, "tk_settings");
    if (!found) return found.error().code == ENOENT ? Error{link_pin + ": not a tcpkeep program", 0} : found.error();
    if (found->info.value_size != sizeof(tk_settings)) return Error{link_pin + ": attached by another version of tcpkeep (another map layout)", 0};
    const UniqueFd& map = found->fd;
    tk_settings settings{};
    const std::uint32_t zero = 0;
    if (bpf_map_lookup_elem(map.get(), &zero, &settings) != 0) return errno_error("cannot read the settings of " + link_pin, errno);
    if (set_others && !settings.others) {
        settings.others = 1;
        if (bpf_map_update_elem(map.get(), &zero, &settings, BPF_ANY) != 0) return errno_error("cannot update the settings of " + link_pin, errno);
    }
    settings.cgroup[sizeof settings.cgroup - 1] = settings.policy[sizeof settings.policy - 1] = settings.digest[sizeof settings.digest - 1] = 0;
    return settings;
}

std::vector<TextChunk> text_chunks(const std::string& text) {
    const std::uint64_t length = text.size();
    std::string framed(sizeof length, '\0');
    std::memcpy(framed.data(), &length, sizeof length);
    framed += text;
    std::vector<TextChunk> chunks((framed.size() + TK_TEXT_CHUNK - 1) / TK_TEXT_CHUNK);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const std::size_t at = i * TK_TEXT_CHUNK;
        std::memcpy(chunks[i].bytes, framed.data() + at, std::min<std::size_t>(TK_TEXT_CHUNK, framed.size() - at));
    }
    return chunks;
}

Result<std::string> read_text(const std::string& link_pin) {
    Result<ProgramMap> found = open_program_map(link_pin, "tk_policy_text");
    if (!found) return found.error();
    if (found->info.value_size != TK_TEXT_CHUNK) return Error{link_pin + ": attached by another version of tcpkeep (another map layout)", 0};
    std::string framed;
    TextChunk chunk{};
    for (std::uint32_t key = 0; key < found->info.max_entries; ++key) {
        if (bpf_map_lookup_elem(found->fd.get(), &key, &chunk) != 0) return errno_error("cannot read the policy text of " + link_pin, errno);
        framed.append(chunk.bytes, TK_TEXT_CHUNK);
    }
    std::uint64_t length = 0;
    std::memcpy(&length, framed.data(), sizeof length);
    if (length > framed.size() - sizeof length) return Error{link_pin + ": its policy text is damaged (longer than its map)", 0};
    return framed.substr(sizeof length, length);
}

std::vector<std::string> attachment_ids(const std::string& base) {
    std::vector<std::string> out;
    DIR* d = ::opendir(base.c_str());
    if (!d) return out;
    while (const dirent* e = ::readdir(d))
        if (e->d_type == DT_DIR && e->d_name[0] != '.') out.emplace_back(e->d_name);
    ::closedir(d);
    return out;
}

Attachment read_attachment(const std::string& base, const std::string& id, const std::string& cgroup_mount) {
    Attachment a;
    a.pin_directory = pin(base, id.c_str());
    a.cgroup_id = std::strtoull(id.c_str(), nullptr, 10);
    if (Result<tk_settings> s = read_settings(pin(a.pin_directory, sockops))) {
        a.cgroup = s->cgroup;
        a.policy = s->policy;
        a.digest = parse_digest_hex(s->digest);
        a.rules = s->rules;
        a.attached_at = s->attached_at;
    }
    // A cgroup's id is its directory's inode: another number there is another cgroup of that name.
    struct stat st {};
    a.cgroup_removed = !cgroup_mount.empty() && !a.cgroup.empty() &&
                       (::stat(Cgroup{cgroup_mount, a.cgroup}.directory().c_str(), &st) != 0 || st.st_ino != a.cgroup_id);
    return a;
}

std::vector<Attachment> attachments_in(const std::string& base) {
    std::vector<Attachment> out;
    const Result<std::string> mount = cgroup_v2_mount();  // once: it parses mountinfo
    for (const std::string& id : attachment_ids(base)) out.push_back(read_attachment(base, id, mount ? *mount : std::string()));
    return out;
}

}  // namespace tcpkeep::pins
