// The kernel side of dead-peer monitoring, through libbpf: the host-wide program of
// bpf/deadpeer.bpf.c with its ring buffer of records, and the counters by unit and cause pinned in
// the BPF filesystem (<bpffs>/tcpkeep/dead-peers), which `tcpkeep watch --keep-counters` adds to
// and `tcpkeep audit --prometheus` reads. A tool built without BPF support says so.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "bpf/deadpeer_abi.h"
#include "config/result.h"

namespace tcpkeep::cli {

class DeadPeerProbe {
public:
    DeadPeerProbe(const DeadPeerProbe&) = delete;
    DeadPeerProbe& operator=(const DeadPeerProbe&) = delete;
    virtual ~DeadPeerProbe() = default;
    // Hands each record that arrives within `timeout_ms` to `on_record`; EINTR is no error.
    virtual Result<void> poll(int timeout_ms, const std::function<void(const tk_dead_peer&)>& on_record) = 0;

protected:
    DeadPeerProbe() = default;
};

// Loads and attaches the program (root; a kernel with BTF and tp_btf, Linux >= 5.8).
Result<std::unique_ptr<DeadPeerProbe>> start_dead_peer_probe();

struct DeadPeerTally {
    std::uint64_t count = 0;
    std::uint64_t silence_ms = 0;  // summed over the aborts
};
using DeadPeerKey = std::pair<std::string, std::string>;  // unit, cause name
using DeadPeerTallies = std::map<DeadPeerKey, DeadPeerTally>;

// The pinned counters, created (and pinned) by the first keeper; adding is one map update.
class DeadPeerCounters {
public:
    DeadPeerCounters(const DeadPeerCounters&) = delete;
    DeadPeerCounters& operator=(const DeadPeerCounters&) = delete;
    virtual ~DeadPeerCounters() = default;
    virtual Result<void> add(const std::string& unit, const std::string& cause, std::uint64_t silence_ms) = 0;

protected:
    DeadPeerCounters() = default;
};
Result<std::unique_ptr<DeadPeerCounters>> open_dead_peer_counters();

// What the pinned counters hold now; ENOENT when no keeper ever ran on this host.
Result<DeadPeerTallies> read_dead_peer_counters();

}  // namespace tcpkeep::cli
