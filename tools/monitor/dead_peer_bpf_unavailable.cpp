// A tool built without BPF support (no clang, bpftool or libbpf-dev): dead-peer monitoring says so.
#include "tools/monitor/dead_peer_bpf.h"

namespace tcpkeep::cli {
namespace {

Error not_built() {
    return Error{"this tcpkeep was built without BPF support (clang, bpftool and libbpf-dev at build time): no dead-peer monitoring", 0};
}

}  // namespace

Result<std::unique_ptr<DeadPeerProbe>> start_dead_peer_probe() { return not_built(); }
Result<std::unique_ptr<DeadPeerCounters>> open_dead_peer_counters() { return not_built(); }
Result<DeadPeerTallies> read_dead_peer_counters() { return not_built(); }

}  // namespace tcpkeep::cli
