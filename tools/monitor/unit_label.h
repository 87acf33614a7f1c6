// The `unit` label of tcpkeep's series: which service or container a process belongs to, from its
// cgroup path, so that a series outlives the process (no PID) and stays few per host.
#pragma once
#include <string>
#include <string_view>

namespace tcpkeep::cli {

// The deepest systemd unit in the path ("nginx.service", "docker-ID.scope", "session-3.scope");
// a path with none ("/tcpkeep-test", "/") is its own label; "" stays "".
std::string unit_of_cgroup(std::string_view cgroup);

// The `program` label: the executable's file name, "" when unknown.
std::string program_of(std::string_view executable);

}  // namespace tcpkeep::cli
