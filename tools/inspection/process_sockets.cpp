#include "tools/inspection/process_sockets.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <memory>

#include "tools/inspection/process_facts.h"
#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {
namespace {

struct SocketFd {
    int fd;
    ino_t inode;
};

// fds whose link reads "socket:[INODE]".
std::vector<SocketFd> socket_fds(pid_t pid) {
    const std::string dir_path = proc_path(pid, "fd");
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_path.c_str()), ::closedir);
    if (!dir) throw_target_error(pid, dir_path, errno);
    std::vector<SocketFd> fds;
    while (const dirent* d = ::readdir(dir.get())) {
        int fd = -1;
        const std::string_view name = d->d_name;
        if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{}) continue;
        char link[64];
        const ssize_t n = ::readlinkat(::dirfd(dir.get()), d->d_name, link, sizeof link - 1);
        if (n < 0) continue;  // closed since readdir
        const std::string_view target(link, static_cast<std::size_t>(n));
        constexpr std::string_view prefix = "socket:[";
        if (!target.starts_with(prefix) || !target.ends_with(']')) continue;
        unsigned long inode = 0;
        const std::string_view digits = target.substr(prefix.size(), target.size() - prefix.size() - 1);
        if (std::from_chars(digits.data(), digits.data() + digits.size(), inode).ec != std::errc{}) continue;
        fds.push_back({fd, static_cast<ino_t>(inode)});
    }
    return fds;
}

std::unordered_map<ino_t, TcpEntry> tcp_table_of(pid_t pid, const char* entry, Family family) {
    const std::string path = proc_path(pid, entry);
    const Result<std::string> text = read_small_file(path);
    if (!text) {
        if (text.error().code == ENOENT && family == Family::v6) return {};  // kernel without IPv6
        throw_target_error(pid, path, text.error().code);
    }
    return parse_tcp_table(*text, family);
}

NamespaceTables::Tables read_tables(pid_t pid) {
    NamespaceTables::Tables t;
    t.entries = tcp_table_of(pid, "net/tcp", Family::v4);
    t.entries.merge(tcp_table_of(pid, "net/tcp6", Family::v6));
    for (const auto& [inode, entry] : t.entries)
        if (entry.state == tcp_state_listen) t.listeners.add(entry.local);
    return t;
}

bool wildcard(const TcpEndpoint& e) {
    const std::size_t size = e.family == Family::v4 ? 4 : 16;
    return std::all_of(e.address.begin(), e.address.begin() + static_cast<std::ptrdiff_t>(size), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

void Listeners::add(const TcpEndpoint& local) {
    if (wildcard(local)) {
        wildcard_.insert({local.port, local.family});
    } else {
        exact_.insert({local.port, address_key(local.peer())});
    }
}

bool Listeners::accept_on(const TcpEndpoint& local) const {
    // A dual-stack listener on [::] accepts IPv4 connections too: any wildcard of the port counts.
    const auto any = wildcard_.lower_bound({local.port, Family::v4});
    if (any != wildcard_.end() && any->first == local.port) return true;
    return exact_.contains({local.port, address_key(local.peer())});
}

const NamespaceTables::Tables& NamespaceTables::of(pid_t pid) {
    const std::string path = proc_path(pid, "ns/net");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_target_error(pid, path, errno);
    const auto known = by_namespace_.find(st.st_ino);
    if (known != by_namespace_.end()) return known->second;
    return by_namespace_.emplace(st.st_ino, read_tables(pid)).first->second;
}

ProcessTcp tcp_sockets_of(pid_t pid, NamespaceTables* tables) {
    const std::vector<SocketFd> fds = socket_fds(pid);
    if (fds.empty()) return {};  // most processes: no need to read the namespace's tables
    NamespaceTables::Tables own;
    const NamespaceTables::Tables& t = tables != nullptr ? tables->of(pid) : (own = read_tables(pid));
    ProcessTcp out;
    out.namespace_listeners = t.listeners;
    for (const SocketFd& s : fds) {
        const auto it = t.entries.find(s.inode);
        if (it != t.entries.end()) out.sockets.push_back({s.fd, it->second});
    }
    std::sort(out.sockets.begin(), out.sockets.end(), [](const TcpSocket& a, const TcpSocket& b) { return a.fd < b.fd; });
    return out;
}

}  // namespace tcpkeep::cli
