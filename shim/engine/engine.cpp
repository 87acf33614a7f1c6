// libtcpkeep-engine.so: the policy library behind the EngineApi table, the only exported symbol.
#include <fmt/format.h>
#include <malloc.h>
#include <new>

#include "config/compiled_policy.h"
#include "system/policy_file.h"
#include "system/read_kernel_defaults.h"
#include "system/read_process_identity.h"
#include "shim/engine_api.h"

namespace tcpkeep {
namespace {

void set_message(EngineLoadResult* out, const std::string& text) {
    const std::size_t n = std::min(text.size(), sizeof out->message - 1);
    std::memcpy(out->message, text.data(), n);
    out->message[n] = '\0';
}

void load(const char* policy_env, bool secure, EngineLoadResult* out) noexcept {
    try {
        const PolicyLocation where = discover_policy(policy_env, secure, TCPKEEP_SYSCONF_POLICY);
        PolicyLoad loaded = load_policy_preferring_compiled(where, secure);
        if (!loaded.ok()) {
            const Diagnostic* e = first_error(loaded.diagnostics);
            set_message(out, e != nullptr ? e->location_and_message() : std::string("cannot load the policy"));
            return;
        }
        // Owned for the rest of the process: the shim decides with it until exit.
        const bool from_compiled_form = loaded.from_compiled_form;
        auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*loaded.policy, read_process_identity(), read_kernel_defaults()));
        out->policy = compiled;
        loaded = PolicyLoad{};  // only the compiled policy stays; hand the parse's memory back to the system
        ::malloc_trim(0);
        set_message(out, fmt::format("policy {}{}: {} active rule{}", compiled->source(), from_compiled_form ? " (compiled form)" : "",
                                     compiled->active_rules(), compiled->active_rules() == 1 ? "" : "s"));
    } catch (...) {
        out->policy = nullptr;
        set_message(out, "out of memory while loading the policy");
    }
}

const Verdict* decide(const void* policy, bool inbound, std::uint16_t port, const sockaddr* peer, socklen_t peer_len) noexcept {
    const auto* p = static_cast<const CompiledPolicy*>(policy);
    const std::optional<PeerAddress> address = PeerAddress::from_sockaddr(peer, peer_len);
    return &p->decide(inbound ? Direction::inbound : Direction::outbound, port, address ? &*address : nullptr);
}

bool depends_on_peer(const void* policy, bool inbound, std::uint16_t port) noexcept {
    return static_cast<const CompiledPolicy*>(policy)->depends_on_peer(inbound ? Direction::inbound : Direction::outbound, port);
}

bool applies_anything(const void* policy) noexcept { return static_cast<const CompiledPolicy*>(policy)->applies_anything(); }

}  // namespace
}  // namespace tcpkeep

extern "C" __attribute__((visibility("default"))) const tcpkeep::EngineApi tcpkeep_engine_v1 = {
    tcpkeep::engine_abi_version, tcpkeep::load, tcpkeep::decide, tcpkeep::depends_on_peer, tcpkeep::applies_anything};
