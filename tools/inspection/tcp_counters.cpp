#include "tools/inspection/tcp_counters.h"

#include <sstream>

#include "tools/inspection/process_facts.h"

namespace tcpkeep::cli {

Counters parse_keepalive_counters(const std::string& netstat) {
    std::istringstream lines(netstat);
    std::string header;
    std::string values;
    while (std::getline(lines, header)) {
        if (!header.starts_with("TcpExt:") || !std::getline(lines, values)) continue;
        std::istringstream names(header.substr(7));
        std::istringstream numbers(values.substr(values.find(':') + 1));
        std::vector<std::pair<std::string, std::uint64_t>> all;
        std::string name;
        std::uint64_t number = 0;
        while (names >> name && numbers >> number) all.emplace_back(name, number);
        Counters out;
        for (const char* wanted : keepalive_counter_names)
            for (const auto& [n, v] : all)
                if (n == wanted) out.emplace_back(n, v);
        return out;
    }
    return {};
}

Result<Counters> keepalive_counters_of(pid_t pid) {
    const std::string path = proc_path(pid, "net/netstat");
    const Result<std::string> netstat = read_small_file(path);
    if (!netstat) return Error{path + ": " + netstat.error().message, netstat.error().code};
    return parse_keepalive_counters(*netstat);
}

}  // namespace tcpkeep::cli
