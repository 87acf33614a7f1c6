// libFuzzer target: policy text -> parse -> validate -> compile -> decide, the path every process
// under the shim takes with an operator's policy. Besides "no crash, no leak, no UB" (ASan, UBSan),
// it holds the library to what the shim relies on:
//  - a policy that loads has no error, and every diagnostic has a position (LINE:COL >= 1:1);
//  - every value a verdict sets is one the kernel accepts (the shim never learns otherwise);
//  - the compiled-policy cache gives back a policy that decides exactly the same;
//  - the plain-TOML fast path accepts only what toml++ accepts, and builds the same document
//    (values, positions, order), so no text reads differently for having been plain.
#include <netinet/in.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/compiled_policy.h"
#include "config/plain_toml.h"
#include "config/policy_cache.h"
#include "config/policy_reader.h"
#include "config/timeline.h"
#include "config/toml_document.h"

namespace {

using namespace tcpkeep;

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "policy_fuzzer: %s\n", what);
    std::abort();
}

void check_kernel_accepts(const Verdict& v) {
    if (v.kind != Verdict::Kind::apply) return;
    const Settings& s = v.settings;
    if (s.has(Option::idle) && (s.idle_s < 1 || s.idle_s > max_keepalive_seconds)) broken("idle out of the kernel's range");
    if (s.has(Option::interval) && (s.interval_s < 1 || s.interval_s > max_keepalive_seconds)) broken("interval out of range");
    if (s.has(Option::count) && (s.count < 1 || s.count > max_keepalive_count)) broken("count out of range");
    if (s.has(Option::user_timeout) && s.user_timeout_ms < 0) broken("negative user_timeout");
}

// The peers and ports each compiled policy is asked about: edges of every range a policy can name.
struct Probe {
    Direction direction;
    std::uint16_t port;
    int peer;  // index into peers(), -1: none (a listener)
};
constexpr std::uint16_t probe_ports[] = {0, 1, 22, 80, 443, 5432, 6000, 6100, 8080, 32768, 65534, 65535};

const std::vector<PeerAddress>& peers() {
    static const std::vector<PeerAddress> all = [] {
        std::vector<PeerAddress> out;
        for (const char* text : {"10.0.0.1", "192.168.1.20", "0.0.0.0", "255.255.255.255", "::1", "fd00::5", "::ffff:10.1.2.3", "2001:db8::1"})
            out.push_back(*PeerAddress::parse(text));
        return out;
    }();
    return all;
}

template <typename Visit>
void for_each_probe(Visit visit) {
    for (Direction d : {Direction::outbound, Direction::inbound})
        for (std::uint16_t port : probe_ports)
            for (int peer = -1; peer < static_cast<int>(peers().size()); ++peer) visit(Probe{d, port, peer});
}

const Verdict& decide(const CompiledPolicy& p, const Probe& probe) {
    return p.decide(probe.direction, probe.port, probe.peer < 0 ? nullptr : &peers()[static_cast<std::size_t>(probe.peer)]);
}

bool same(const Verdict& a, const Verdict& b) {
    return a.kind == b.kind && a.settings == b.settings && a.enforce == b.enforce && a.rule_index == b.rule_index &&
           std::string_view(a.name) == std::string_view(b.name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const std::optional<Document> plain = parse_plain_toml(text)) {
        const Result<Document, TomlError> full = parse_toml(text);
        if (!full) broken("the plain parser accepted what toml++ refuses");
        if (!plain->same_as(*full)) broken("the plain parser and toml++ build different documents");
    }
    const PolicyLoad load = read_policy(text, "fuzz.toml");
    for (const Diagnostic& d : load.diagnostics)
        if (d.kind != Diagnostic::Kind::located || d.line == 0 || d.column == 0) broken("a diagnostic of a text without a position");
    if (!load.ok()) {
        if (first_error(load.diagnostics) == nullptr) broken("refused without an error");
        return 0;
    }
    if (has_errors(load.diagnostics)) broken("loaded with an error");

    ProcessIdentity who;
    who.exe_path = "/usr/bin/psql";
    who.exe_name = who.argv0_name = who.comm = "psql";
    const KernelDefaults kernel;
    const CompiledPolicy compiled = CompiledPolicy::compile(*load.policy, who, kernel);
    (void)compiled.applies_anything();

    const std::optional<Policy> cached = deserialize_policy(serialize_policy(*load.policy, text), text, "fuzz.toml");
    if (!cached) broken("the cache does not read back what it wrote");
    const CompiledPolicy from_cache = CompiledPolicy::compile(*cached, who, kernel);

    for_each_probe([&](const Probe& probe) {
        const Verdict& v = decide(compiled, probe);
        check_kernel_accepts(v);
        if (!same(v, decide(from_cache, probe))) broken("the cached policy decides differently");
        (void)compiled.depends_on_peer(probe.direction, probe.port);
        if (probe.peer == -1 && probe.port == 443 && v.kind == Verdict::Kind::apply) {  // explain's model, once per input
            EffectiveValues e;
            if (v.settings.has(Option::keepalive)) e.keepalive = v.settings.keepalive;
            if (v.settings.has(Option::idle)) e.idle_s = v.settings.idle_s;
            if (v.settings.has(Option::interval)) e.interval_s = v.settings.interval_s;
            if (v.settings.has(Option::count)) e.count = v.settings.count;
            if (v.settings.has(Option::user_timeout)) e.user_timeout_ms = v.settings.user_timeout_ms;
            (void)compute_timeline(e, kernel);
        }
    });
    return 0;
}
