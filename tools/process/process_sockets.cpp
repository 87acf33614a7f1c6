#include "tools/process/process_sockets.h"

#include <dirent.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <memory>

#include "tools/process/process_facts.h"
#include "tools/process/target_error.h"

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

}  // namespace

ProcessTcp tcp_sockets_of(pid_t pid) {
    const std::vector<SocketFd> fds = socket_fds(pid);
    std::unordered_map<ino_t, TcpEntry> table = tcp_table_of(pid, "net/tcp", Family::v4);
    table.merge(tcp_table_of(pid, "net/tcp6", Family::v6));
    ProcessTcp out;
    for (const auto& [inode, entry] : table)
        if (entry.state == tcp_state_listen) out.namespace_listen_ports.insert(entry.local.port);
    for (const SocketFd& s : fds) {
        const auto it = table.find(s.inode);
        if (it != table.end()) out.sockets.push_back({s.fd, it->second});
    }
    std::sort(out.sockets.begin(), out.sockets.end(), [](const TcpSocket& a, const TcpSocket& b) { return a.fd < b.fd; });
    return out;
}

}  // namespace tcpkeep::cli
