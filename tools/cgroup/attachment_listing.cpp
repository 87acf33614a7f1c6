// Listing attachments, and what verify asks of them: the one covering a cgroup, and a socket's
// record.
#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>

#include "system/unique_fd.h"
#include "tools/cgroup/attachment.h"
#include "tools/cgroup/pinned_attachments.h"

namespace tcpkeep {

using pins::pin;

Result<std::vector<Attachment>> list_attachments() {
    Result<std::string> base = pins::preconditions(false);
    if (!base) return base.error().code == ENOENT ? Result<std::vector<Attachment>>(std::vector<Attachment>{}) : base.error();
    return pins::attachments_in(*base);
}

std::optional<Attachment> attachment_covering(const Cgroup& cgroup) {
    if (::geteuid() != 0) return std::nullopt;
    pins::quiet_libbpf();
    const Result<std::string> base = pins::base_directory(false);
    if (!base) return std::nullopt;
    for (Cgroup at = cgroup;;) {
        const std::string id = std::to_string(pins::cgroup_id(at));
        if (pins::exists(pin(pin(*base, id.c_str()), pins::sockops))) return pins::read_attachment(*base, id, cgroup.mount);
        if (at.path == "/") return std::nullopt;
        const std::size_t slash = at.path.rfind('/');
        at.path = slash == 0 ? "/" : at.path.substr(0, slash);
    }
}

Result<std::string> attached_policy_text(const Attachment& attachment) { return pins::read_text(pin(attachment.pin_directory, pins::sockops)); }

std::optional<std::uint8_t> program_set_in_cgroup(int socket_fd) {
    if (::geteuid() != 0) return std::nullopt;
    const Result<std::string> base = pins::base_directory(false);
    if (!base) return std::nullopt;
    UniqueFd records(bpf_obj_get(pin(*base, pins::sockets).c_str()));
    if (records.get() < 0) return std::nullopt;
    tk_socket record{};
    if (bpf_map_lookup_elem(records.get(), &socket_fd, &record) != 0) return errno == ENOENT ? std::optional<std::uint8_t>(0) : std::nullopt;
    return static_cast<std::uint8_t>(record.program_set & ~record.enforced);
}

}  // namespace tcpkeep
