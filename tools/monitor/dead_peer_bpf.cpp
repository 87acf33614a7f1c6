#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "system/unique_fd.h"
#include "tcpkeep_deadpeer.skel.h"
#include "tools/cgroup/pinned_attachments.h"
#include "tools/monitor/dead_peer_bpf.h"

namespace tcpkeep::cli {
namespace {

// The pinned map's layout: a new layout needs a new pin name.
constexpr const char* counters_pin = "dead-peers";
constexpr std::uint32_t max_counters = 4096;  // units x causes on one host
struct CounterKey {
    char unit[120];
    char cause[16];
};
struct CounterValue {
    std::uint64_t count;
    std::uint64_t silence_ms;
};

Error failed(const std::string& what, int error) { return Error{fmt::format("{}: {}", what, std::strerror(error)), error}; }

struct SkeletonDeleter {
    void operator()(tcpkeep_deadpeer* s) const { tcpkeep_deadpeer__destroy(s); }
};
struct RingDeleter {
    void operator()(ring_buffer* r) const { ring_buffer__free(r); }
};

class LoadedProbe final : public DeadPeerProbe {
public:
    Result<void> start() {
        pins::quiet_libbpf();
        skel_.reset(tcpkeep_deadpeer__open_and_load());
        if (!skel_) return failed("cannot load the dead-peer BPF program (needs root and a kernel with BTF, Linux >= 5.8)", errno);
        if (tcpkeep_deadpeer__attach(skel_.get()) != 0) return failed("cannot attach to the tracepoint inet_sock_set_state", errno);
        ring_.reset(ring_buffer__new(bpf_map__fd(skel_->maps.tk_dead_peers), &LoadedProbe::on_sample, this, nullptr));
        if (!ring_) return failed("cannot open the dead-peer ring buffer", errno);
        return {};
    }

    Result<void> poll(int timeout_ms, const std::function<void(const tk_dead_peer&)>& on_record) override {
        handler_ = &on_record;
        const int n = ring_buffer__poll(ring_.get(), timeout_ms);
        handler_ = nullptr;
        if (n < 0 && n != -EINTR) return failed("reading the dead-peer ring buffer", -n);
        return {};
    }

private:
    static int on_sample(void* self, void* data, std::size_t size) {
        const auto* probe = static_cast<LoadedProbe*>(self);
        if (size < sizeof(tk_dead_peer) || probe->handler_ == nullptr) return 0;
        tk_dead_peer record{};
        std::memcpy(&record, data, sizeof record);
        (*probe->handler_)(record);
        return 0;
    }

    std::unique_ptr<tcpkeep_deadpeer, SkeletonDeleter> skel_;
    std::unique_ptr<ring_buffer, RingDeleter> ring_;
    const std::function<void(const tk_dead_peer&)>* handler_ = nullptr;
};

class PinnedCounters final : public DeadPeerCounters {
public:
    explicit PinnedCounters(UniqueFd map) : map_(std::move(map)) {}

    Result<void> add(const std::string& unit, const std::string& cause, std::uint64_t silence_ms) override {
        CounterKey key{};
        unit.copy(key.unit, sizeof key.unit - 1);
        cause.copy(key.cause, sizeof key.cause - 1);
        // Only this keeper writes: read, add, write back.
        CounterValue value{};
        if (bpf_map_lookup_elem(map_.get(), &key, &value) != 0 && errno != ENOENT) return failed("cannot read the dead-peer counters", errno);
        ++value.count;
        value.silence_ms += silence_ms;
        if (bpf_map_update_elem(map_.get(), &key, &value, BPF_ANY) != 0) return failed("cannot update the dead-peer counters", errno);
        return {};
    }

private:
    UniqueFd map_;
};

Result<std::string> counters_path(bool create) {
    Result<std::string> base = pins::preconditions(create);
    if (!base) return base.error();
    return pins::pin(*base, counters_pin);
}

// The pinned map, if it has this version's layout (ENOENT when there is none).
Result<UniqueFd> open_pinned(const std::string& path) {
    UniqueFd map(bpf_obj_get(path.c_str()));
    if (map.get() < 0) return failed("cannot open " + path, errno);
    bpf_map_info info{};
    std::uint32_t length = sizeof info;
    if (bpf_obj_get_info_by_fd(map.get(), &info, &length) != 0) return failed("cannot read " + path, errno);
    if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(CounterKey) || info.value_size != sizeof(CounterValue))
        return Error{path + ": pinned by another version of tcpkeep (another layout); remove it to count again", 0};
    return map;
}

}  // namespace

Result<std::unique_ptr<DeadPeerProbe>> start_dead_peer_probe() {
    auto probe = std::make_unique<LoadedProbe>();
    if (Result<void> started = probe->start(); !started) return started.error();
    return std::unique_ptr<DeadPeerProbe>(std::move(probe));
}

Result<std::unique_ptr<DeadPeerCounters>> open_dead_peer_counters() {
    const Result<std::string> path = counters_path(true);
    if (!path) return path.error();
    Result<UniqueFd> pinned = open_pinned(*path);
    if (pinned) return std::unique_ptr<DeadPeerCounters>(std::make_unique<PinnedCounters>(std::move(*pinned)));
    if (pinned.error().code != ENOENT) return pinned.error();
    UniqueFd map(bpf_map_create(BPF_MAP_TYPE_HASH, "tk_dead_peers", sizeof(CounterKey), sizeof(CounterValue), max_counters, nullptr));
    if (map.get() < 0) return failed("cannot create the dead-peer counters", errno);
    if (bpf_obj_pin(map.get(), path->c_str()) != 0) return failed("cannot pin " + *path, errno);
    return std::unique_ptr<DeadPeerCounters>(std::make_unique<PinnedCounters>(std::move(map)));
}

Result<DeadPeerTallies> read_dead_peer_counters() {
    const Result<std::string> path = counters_path(false);
    if (!path) return path.error();
    const Result<UniqueFd> map = open_pinned(*path);
    if (!map) return map.error();
    DeadPeerTallies out;
    CounterKey key{};
    CounterKey next{};
    for (const void* previous = nullptr; bpf_map_get_next_key(map->get(), previous, &next) == 0; previous = &key) {
        key = next;
        CounterValue value{};
        if (bpf_map_lookup_elem(map->get(), &key, &value) != 0) continue;  // removed meanwhile
        const std::string unit(key.unit, strnlen(key.unit, sizeof key.unit));
        const std::string cause(key.cause, strnlen(key.cause, sizeof key.cause));
        DeadPeerTally& t = out[{unit, cause}];
        t.count += value.count;
        t.silence_ms += value.silence_ms;
    }
    return out;
}

}  // namespace tcpkeep::cli
