// The TCP counters of a network namespace that show keepalive at work, from /proc/PID/net/netstat
// (the "TcpExt:" header and value lines) of a process living in it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/result.h"

namespace tcpkeep::cli {

// In this order: TCPKeepAlive (keepalive probes sent), TCPTimeouts (retransmission timer
// firings), TCPAbortOnTimeout (connections aborted by a timer: retries, keepalive, user timeout).
inline constexpr const char* keepalive_counter_names[] = {"TCPKeepAlive", "TCPTimeouts", "TCPAbortOnTimeout"};

using Counters = std::vector<std::pair<std::string, std::uint64_t>>;

// The counters above from a netstat text; a counter the kernel does not have is left out.
Counters parse_keepalive_counters(const std::string& netstat);

// Those of the network namespace `pid` is in, or why /proc/PID/net/netstat could not be read.
Result<Counters> keepalive_counters_of(pid_t pid);

}  // namespace tcpkeep::cli
