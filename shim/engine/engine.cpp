// libtcpkeep-engine.so: the policy library behind the EngineApi table, the only exported symbol.
#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>
#include <climits>
#include <new>

#include "config/compiled_policy.h"
#include "shim/engine_api.h"
#include "system/file_version.h"
#include "system/policy_file.h"
#include "system/read_kernel_defaults.h"
#include "system/read_process_identity.h"

namespace tcpkeep {
namespace {

// What this process loaded first, for `tcpkeep verify` to read from outside (shim/published_state.h).
// Static: the engine is loaded once per process and never unloaded. A reload publishes a copy.
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

// What the first load found, for reload_if_changed: where the policy is, whose rules apply, and
// which version of the file is in use. Only one thread at a time reads or writes it after the load.
struct LoadedFrom {
    PolicyLocation where;  // its path made absolute: the process may change its working directory
    bool secure = false;
    ProcessIdentity who;
    FileVersion in_use;   // none while no version was usable
    FileVersion pending;  // changed in place at the last check: loaded when still the same at the next
    FileVersion refused;  // the version last refused, said once
    const PublishedPolicy* current = &published;
};
LoadedFrom* loaded_from = nullptr;  // set by the load of a file, usable or not (never for the embedded default)

// "policy FILE: N active rules", the message verify shows and the shim logs.
std::string load_message(const CompiledPolicy& compiled, bool from_compiled_form) {
    return fmt::format("policy {}{}: {} active rule{}", compiled.source(), from_compiled_form ? " (compiled form)" : "", compiled.active_rules(),
                       compiled.active_rules() == 1 ? "" : "s");
}

// Compiles a load's policy and records it in `record`. Owned for the rest of the process: a
// thread may still be deciding with a policy when a newer one replaces it.
const CompiledPolicy* compile_loaded(PolicyLoad& loaded, const ProcessIdentity& who, PublishedPolicy& record) {
    record.text_bytes = loaded.text_bytes;
    record.text_digest = loaded.text_digest;
    record.from_compiled_form = loaded.from_compiled_form ? 1 : 0;
    auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*loaded.policy, who, read_kernel_defaults()));
    loaded = PolicyLoad{};  // only the compiled policy stays; hand the parse's memory back to the system
    ::malloc_trim(0);
    record.loaded = 1;
    copy_text(record.message, load_message(*compiled, record.from_compiled_form != 0));
    return compiled;
}

void load(const char* policy_env, bool secure, EngineLoadResult* out) noexcept {
    out->published = &published;
    published.layout = published_layout;
    try {
        PolicyLocation where = discover_policy(policy_env, secure, TCPKEEP_SYSCONF_POLICY);
        published.source = source_of(where.kind);
        where.path = absolute(where.path);
        copy_text(published.path, where.path);
        // Seen before the read: a change made while reading is a new version at the next check.
        const bool from_file = where.kind != PolicyLocation::Kind::embedded;
        const FileVersion version = from_file ? file_version(where.path) : FileVersion{};
        PolicyLoad loaded = load_policy_preferring_compiled(where, secure);
        published.text_bytes = loaded.text_bytes;
        published.text_digest = loaded.text_digest;
        ProcessIdentity who = read_process_identity();
        publish_identity(who);
        if (loaded.ok()) {
            out->policy = compile_loaded(loaded, who, published);
        } else {
            const Diagnostic* e = first_error(loaded.diagnostics);
            copy_text(published.message, e != nullptr ? e->location_and_message() : std::string("cannot load the policy"));
        }
        // A file is followed even when unusable now: fixing it reaches the program like any edit.
        if (from_file) {
            const bool usable = out->policy != nullptr;
            loaded_from = new LoadedFrom{
                std::move(where), secure, std::move(who), usable ? version : FileVersion{}, {}, usable ? FileVersion{} : version, &published};
            out->from_file = true;
        }
    } catch (...) {
        out->policy = nullptr;
        copy_text(published.message, "out of memory while loading the policy");
    }
}

// Why a new version is not used, for the shim's one log line about it.
char refusal[1024];

void reload_if_changed(EngineReloadResult* out) noexcept {
    LoadedFrom* from = loaded_from;
    if (from == nullptr) return;
    try {
        const FileVersion now = file_version(from->where.path);
        if (now == from->in_use || now == from->refused) {
            from->pending = FileVersion{};
            return;
        }
        if ((now.same_file_as(from->in_use) || now.same_file_as(from->refused)) && !(now == from->pending)) {
            from->pending = now;  // written in place: wait until a check finds it unchanged
            return;
        }
        from->pending = FileVersion{};
        PolicyLoad loaded = load_policy_preferring_compiled(from->where, from->secure);
        if (!loaded.ok()) {
            from->refused = now;
            const Diagnostic* e = first_error(loaded.diagnostics);
            copy_text(refusal, e != nullptr ? e->location_and_message() : std::string("cannot load the policy"));
            out->refused = refusal;
            return;
        }
        auto* record = new PublishedPolicy(*from->current);
        out->policy = compile_loaded(loaded, from->who, *record);
        out->published = from->current = record;
        from->in_use = now;
        from->refused = FileVersion{};
    } catch (...) {
        copy_text(refusal, "out of memory while reloading the policy");
        out->refused = refusal;
        out->policy = nullptr;
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
    tcpkeep::engine_abi_version, tcpkeep::load, tcpkeep::reload_if_changed, tcpkeep::decide, tcpkeep::depends_on_peer, tcpkeep::applies_anything};
