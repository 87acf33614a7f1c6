// How attachments are pinned under <bpffs>/tcpkeep/ and read back, shared by attaching
// (attachment.cpp) and listing (attachment_listing.cpp): <cgroup id>/sockops and /setsockopt, the
// two links; `sockets`, the socket records all attachments share.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <bpf/bpf.h>

#include "bpf/policy_abi.h"
#include "config/result.h"
#include "system/unique_fd.h"
#include "tools/cgroup/attachment.h"
#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep::pins {

inline constexpr const char* sockops = "sockops";
inline constexpr const char* setsockopt = "setsockopt";
inline constexpr const char* sockets = "sockets";

inline std::string pin(const std::string& dir, const char* name) { return dir + "/" + name; }
bool exists(const std::string& path);
Error errno_error(const std::string& what, int error);

// libbpf's own messages silenced unless TCPKEEP_BPF_DEBUG is set.
void quiet_libbpf();
// <bpffs>/tcpkeep, created (and bpffs mounted) when `create`.
Result<std::string> base_directory(bool create);
// Root, libbpf quiet, then base_directory(create).
Result<std::string> preconditions(bool create);

// A cgroup's id: its directory's inode number (0 when it cannot be read).
std::uint64_t cgroup_id(const Cgroup& cgroup);

// The program a pinned link runs, and the maps a program uses, with their descriptions.
Result<UniqueFd> program_of_link(const std::string& link_pin);
struct ProgramMap {
    UniqueFd fd;
    bpf_map_info info{};
};
std::vector<ProgramMap> maps_of_program(int prog_fd);

// The settings of the program a pinned link runs; with set_others, first marked as having nested
// attachments.
Result<tk_settings> read_settings(const std::string& link_pin, bool set_others = false);
// The policy text an attachment keeps (tk_policy_text), framed into map entries and read back.
struct TextChunk {
    char bytes[TK_TEXT_CHUNK];
};
std::vector<TextChunk> text_chunks(const std::string& text);
Result<std::string> read_text(const std::string& link_pin);
// The names (cgroup ids) of the attachment directories under <base>.
std::vector<std::string> attachment_ids(const std::string& base);
// What the attachment pinned in <base>/<id> says about itself; whether its cgroup was removed is
// looked up under cgroup_mount (the cgroup v2 mount; empty: unknown, not removed).
Attachment read_attachment(const std::string& base, const std::string& id, const std::string& cgroup_mount);
std::vector<Attachment> attachments_in(const std::string& base);

}  // namespace tcpkeep::pins
