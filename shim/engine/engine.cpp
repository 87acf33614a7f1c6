// libtcpkeep-engine.so: the policy library behind the EngineApi table, the only exported symbol.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>
#include <climits>
#include <new>

#include "config/compiled_policy.h"
#include "shim/engine_api.h"
#include "system/policy_file.h"
#include "system/read_kernel_defaults.h"
#include "system/read_process_identity.h"

namespace tcpkeep {
namespace {

// What this process loaded, for `tcpkeep verify` to read from outside (shim/published_state.h).
// Static: the engine is loaded once per process and never unloaded.
PublishedPolicy published;

template <std::size_t N>
void copy_text(char (&to)[N], std::string_view text) {
    const std::size_t n = std::min(text.size(), N - 1);
    std::memcpy(to, text.data(), n);
    to[n] = '\0';
}

PublishedSource source_of(PolicyLocation::Kind kind) {
    switch (kind) {
        case PolicyLocation::Kind::environment: return PublishedSource::environment;
        case PolicyLocation::Kind::system: return PublishedSource::system;
        case PolicyLocation::Kind::command_line:
        case PolicyLocation::Kind::embedded: break;
    }
    return PublishedSource::embedded;
}

// The path as the process sees it from anywhere: a relative TCPKEEP_POLICY is relative to the
// working directory at this first decision, which the program may change later.
std::string absolute(const std::string& path) {
    if (path.empty() || path.front() == '/') return path;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) != nullptr ? fmt::format("{}/{}", cwd, path) : path;
}

void publish_identity(const ProcessIdentity& who) {
    copy_text(published.exe_path, who.exe_path);
    copy_text(published.argv0_name, who.argv0_name);
    copy_text(published.comm, who.comm);
}

void load(const char* policy_env, bool secure, EngineLoadResult* out) noexcept {
    out->published = &published;
    published.layout = published_layout;
    try {
        const PolicyLocation where = discover_policy(policy_env, secure, TCPKEEP_SYSCONF_POLICY);
        published.source = source_of(where.kind);
        copy_text(published.path, absolute(where.path));
        PolicyLoad loaded = load_policy_preferring_compiled(where, secure);
        published.text_bytes = loaded.text_bytes;
        published.text_digest = loaded.text_digest;
        if (!loaded.ok()) {
            const Diagnostic* e = first_error(loaded.diagnostics);
            copy_text(published.message, e != nullptr ? e->location_and_message() : std::string("cannot load the policy"));
            return;
        }
        const ProcessIdentity who = read_process_identity();
        publish_identity(who);
        // Owned for the rest of the process: the shim decides with it until exit.
        published.from_compiled_form = loaded.from_compiled_form ? 1 : 0;
        auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*loaded.policy, who, read_kernel_defaults()));
        out->policy = compiled;
        loaded = PolicyLoad{};  // only the compiled policy stays; hand the parse's memory back to the system
        ::malloc_trim(0);
        published.loaded = 1;
        copy_text(published.message,
                  fmt::format("policy {}{}: {} active rule{}", compiled->source(), published.from_compiled_form != 0 ? " (compiled form)" : "",
                              compiled->active_rules(), compiled->active_rules() == 1 ? "" : "s"));
    } catch (...) {
        out->policy = nullptr;
        copy_text(published.message, "out of memory while loading the policy");
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
