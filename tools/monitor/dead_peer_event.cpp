#include "tools/monitor/dead_peer_event.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>

#include "config/duration.h"
#include "system/unique_fd.h"
#include "tools/cgroup/cgroup_lookup.h"
#include "tools/monitor/unit_label.h"
#include "tools/inspection/network_namespace.h"
#include "tools/inspection/process_facts.h"

namespace tcpkeep::cli {
namespace {

using json = nlohmann::ordered_json;

constexpr int fileid_kernfs = 0xfe;  // a kernfs (cgroup) file handle: the 64-bit node id

TcpEndpoint endpoint(std::uint8_t family, const std::uint8_t (&address)[16], std::uint16_t port) {
    TcpEndpoint e;
    e.family = family == 10 ? Family::v6 : Family::v4;
    std::memcpy(e.address.data(), address, sizeof address);
    e.port = port;
    return e;
}

// The process of the cgroup whose file table holds socket `inode`: the cgroup's processes only,
// not the whole host.
std::optional<pid_t> holder_of(const std::string& cgroup, std::uint64_t inode) {
    if (cgroup.empty() || inode == 0) return std::nullopt;
    const Result<std::string> mount = cgroup_v2_mount();
    if (!mount) return std::nullopt;
    const Result<std::string> procs = read_small_file(*mount + (cgroup == "/" ? "" : cgroup) + "/cgroup.procs");
    if (!procs) return std::nullopt;
    const std::string wanted = fmt::format("socket:[{}]", inode);
    std::istringstream pids(*procs);
    for (pid_t pid = 0; pids >> pid;) {
        const std::string fd_dir = proc_path(pid, "fd");
        const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(fd_dir.c_str()), ::closedir);
        if (!dir) continue;
        while (const dirent* e = ::readdir(dir.get())) {
            char target[64] = {};
            const ssize_t n = ::readlinkat(::dirfd(dir.get()), e->d_name, target, sizeof target - 1);
            if (n > 0 && wanted == std::string_view(target, static_cast<std::size_t>(n))) return pid;
        }
    }
    return std::nullopt;
}

std::string utc_now() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char text[32] = {};
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    return fmt::format("{}.{:03}Z", text, ms);
}

// A name the process chose (its executable's), for one line of text: control characters shown as
// \xNN, so a name cannot end the line and forge another event in the log.
std::string one_line(std::string_view name) {
    std::string out;
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
        else out += c;
    }
    return out;
}

std::int64_t seconds_of(std::uint32_t jiffies, std::uint32_t hz, std::int32_t sysctl_s) {
    if (jiffies == 0 || hz == 0) return sysctl_s;  // 0: the socket follows its namespace's sysctl
    return jiffies / hz;
}

std::int64_t prediction(std::uint32_t cause, const Timeline& t) {
    switch (cause) {
        case TK_DEAD_KEEPALIVE: return t.detect_idle_ms.value_or(0);
        case TK_DEAD_SYN: return t.detect_connect_ms;
        default: return t.detect_busy_ms;
    }
}

std::string values_text(const EffectiveValues& v) {
    const std::string keepalive =
        v.keepalive ? fmt::format("keepalive {}s + {} x {}s", v.idle_s, v.count, v.interval_s) : std::string("keepalive off");
    return v.user_timeout_ms ? fmt::format("{}, user timeout {}", keepalive, format_duration(v.user_timeout_ms)) : keepalive;
}

}  // namespace

const char* dead_cause_name(std::uint32_t cause) {
    switch (cause) {
        case TK_DEAD_KEEPALIVE: return "keepalive";
        case TK_DEAD_USER_TIMEOUT: return "user_timeout";
        case TK_DEAD_RETRANSMIT: return "retransmissions";
        case TK_DEAD_SYN: return "syn_retries";
        default: return "unknown";
    }
}

std::string CgroupNames::path_of(std::uint64_t id) {
    if (const auto it = known_.find(id); it != known_.end()) return it->second;
    std::string path;
    const Result<std::string> mount = cgroup_v2_mount();
    const UniqueFd root(mount ? ::open(mount->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1);
    alignas(file_handle) unsigned char buffer[sizeof(file_handle) + sizeof id] = {};
    auto* handle = reinterpret_cast<file_handle*>(buffer);
    handle->handle_bytes = sizeof id;
    handle->handle_type = fileid_kernfs;
    std::memcpy(buffer + sizeof(file_handle), &id, sizeof id);
    const UniqueFd dir(root.get() < 0 ? -1 : ::open_by_handle_at(root.get(), handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    char link[4096] = {};
    const ssize_t n = dir.get() < 0 ? -1 : ::readlink(fmt::format("/proc/self/fd/{}", dir.get()).c_str(), link, sizeof link - 1);
    if (const std::string_view full(link, n > 0 ? static_cast<std::size_t>(n) : 0); !full.empty() && full.starts_with(*mount)) {
        const std::string_view below = full.substr(mount->size());
        path.assign(below.empty() ? std::string_view("/") : below);
    }
    if (!path.empty()) known_.emplace(id, path);  // a cgroup gone now may have been missed: try again next time
    return path;
}

DeadPeerEvent describe(const tk_dead_peer& r, CgroupNames& names, const KernelDefaults& host) {
    DeadPeerEvent e;
    e.time = utc_now();
    e.cause = r.cause;
    e.error = r.error;
    if (r.hz != 0 || r.cause != TK_DEAD_KEEPALIVE) e.silence_ms = r.silence_ms;
    e.cgroup = names.path_of(r.cgroup_id);
    e.unit = unit_of_cgroup(e.cgroup);
    e.pid = holder_of(e.cgroup, r.socket_inode);
    if (e.pid) {
        if (const std::optional<std::string> exe = executable_of(*e.pid)) e.program = program_of(*exe);
    }
    e.local = endpoint(r.family, r.local_addr, r.local_port);
    e.remote = endpoint(r.family, r.remote_addr, r.remote_port);
    const Result<KernelDefaults> own = e.pid ? kernel_defaults_of(*e.pid) : Result<KernelDefaults>(host);
    e.kernel = own ? *own : host;
    e.values.keepalive = r.keepalive_on != 0;
    e.values.idle_s = static_cast<std::int32_t>(seconds_of(r.keepalive_time, r.hz, e.kernel.keepalive_time_s));
    e.values.interval_s = static_cast<std::int32_t>(seconds_of(r.keepalive_intvl, r.hz, e.kernel.keepalive_intvl_s));
    e.values.count = r.keepalive_probes ? r.keepalive_probes : e.kernel.keepalive_probes;
    e.values.user_timeout_ms = static_cast<std::int32_t>(r.user_timeout_ms);
    e.predicted_ms = prediction(r.cause, compute_timeline(e.values, e.kernel));
    e.probes_out = r.probes_out;
    e.retransmits = r.retransmits;
    return e;
}

std::string to_text(const DeadPeerEvent& e) {
    const std::string who = e.pid ? fmt::format("pid {} ({})", *e.pid, one_line(e.program.value_or("?"))) : std::string("process not found");
    return fmt::format("{} dead peer, {}: {} -> {}, unit {}, {}: silent {}, predicted {} ({})\n", e.time, dead_cause_name(e.cause), e.local.to_string(),
                       e.remote.to_string(), e.unit.empty() ? "?" : one_line(e.unit), who, e.silence_ms ? format_duration(*e.silence_ms) : "?",
                       format_duration(e.predicted_ms), values_text(e.values));
}

json to_json(const DeadPeerEvent& e) {
    return json{{"time", e.time},
                {"cause", dead_cause_name(e.cause)},
                {"error", std::strerror(e.error)},
                {"local", e.local.to_string()},
                {"remote", e.remote.to_string()},
                {"cgroup", e.cgroup.empty() ? json(nullptr) : json(e.cgroup)},
                {"unit", e.unit},
                {"pid", e.pid ? json(*e.pid) : json(nullptr)},
                {"program", e.program ? json(*e.program) : json(nullptr)},
                {"silence_ms", e.silence_ms ? json(*e.silence_ms) : json(nullptr)},
                {"predicted_ms", e.predicted_ms},
                {"values",
                 {{"keepalive", e.values.keepalive},
                  {"idle_s", e.values.idle_s},
                  {"interval_s", e.values.interval_s},
                  {"count", e.values.count},
                  {"user_timeout_ms", e.values.user_timeout_ms}}},
                {"probes_out", e.probes_out},
                {"retransmits", e.retransmits}};
}

}  // namespace tcpkeep::cli
