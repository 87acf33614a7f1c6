#include "tools/inspection/process_policy.h"

#include <fmt/format.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "config/digest.h"
#include "config/embedded_default.h"
#include "system/policy_file.h"
#include "system/read_process_identity.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/shim_presence.h"
#include "tools/inspection/target_error.h"
#include "tools/inspection/target_files.h"

namespace tcpkeep::cli {
namespace {

struct PolicyText {
    std::string name;  // as the process sees it
    std::string text;
};

// Reads `path` as the process sees it and could read it (its root, its credentials), trusting whom
// the process trusts: its own user's files count, whoever runs the tool.
[[noreturn]] void throw_unreadable(pid_t pid, const std::string& path, const Error& error) {
    throw TargetError(fmt::format("process {}: {}: {} (read in the process's view, as the process)", pid, path, error.message));
}

PolicyText read_in_process_view(pid_t pid, const std::string& path, bool secure) {
    Result<std::string> text = read_policy_as_target(pid, path, secure);
    if (!text) throw_unreadable(pid, path, text.error());
    return {path, std::move(text).value()};
}

Policy usable_or_throw(pid_t pid, PolicyLoad load, const std::string& name) {
    if (!load.ok()) {
        const Diagnostic* e = first_error(load.diagnostics);
        throw TargetError(fmt::format("process {}: {}: the shim leaves its sockets unchanged until the file is fixed", pid,
                                      e != nullptr ? e->location_and_message() : name + ": cannot load policy"));
    }
    return std::move(*load.policy);
}

Policy parse_or_throw(pid_t pid, const PolicyText& read) { return usable_or_throw(pid, read_policy(read.text, read.name), read.name); }

ProcessIdentity identity_of(const PublishedPolicy& p) { return process_identity(p.exe_path, p.argv0_name, p.comm); }

bool same_load(const PublishedPolicy& a, const PublishedPolicy& b) {
    return std::strncmp(a.path, b.path, sizeof a.path) == 0 && a.text_bytes == b.text_bytes && a.text_digest == b.text_digest;
}

// A server that loaded its policy and then gave up its privileges (nginx's workers run as
// www-data) may no longer read the file. An ancestor whose own shim loaded the very same text may:
// the file is read as that ancestor, whose record lives in memory the process cannot write, and
// only when it still holds that text (nothing is said of a file that has changed since).
std::optional<PolicyText> read_as_loading_ancestor(pid_t pid, const PublishedPolicy& published) {
    constexpr int max_generations = 8;
    std::optional<pid_t> ancestor = parent_of(pid);
    for (int generation = 0; ancestor && generation < max_generations; ++generation, ancestor = parent_of(*ancestor)) {
        const ShimPresence shim = shim_presence(*ancestor);
        if (!shim.loaded) continue;
        const Result<ShimState> state = read_shim_state(*ancestor, shim);
        if (!state || !state->policy || !same_load(*state->policy, published)) continue;
        Result<std::string> text = read_policy_as_target(*ancestor, published.path, secure_execution(*ancestor));
        if (!text || text->size() != published.text_bytes || digest64(*text) != published.text_digest) return std::nullopt;
        return PolicyText{published.path, std::move(text).value()};
    }
    return std::nullopt;
}

// The policy file the shim loaded, read as the process, or else as the ancestor that loaded it too.
PolicyText read_loaded_file(pid_t pid, const PublishedPolicy& published) {
    Result<std::string> text = read_policy_as_target(pid, published.path, secure_execution(pid));
    if (text) return {published.path, std::move(text).value()};
    if (text.error().code == EACCES || text.error().code == EPERM) {
        try {
            if (std::optional<PolicyText> theirs = read_as_loading_ancestor(pid, published)) return std::move(*theirs);
        } catch (const TargetError&) {  // an ancestor gone or not ours to look at: the process's own answer stands
        }
    }
    throw_unreadable(pid, published.path, text.error());
}

// The policy the shim loaded, exactly: the same file in the process's view, unchanged since.
ProcessPolicy loaded_by_shim(pid_t pid, const PublishedPolicy& published) {
    const bool embedded = published.source == PublishedSource::embedded;
    if (published.loaded == 0)
        throw TargetError(fmt::format("process {}: {}: the shim leaves its sockets unchanged{}", pid, published.message,
                                      embedded ? "" : " until the file is fixed"));
    const PolicyText read = embedded ? PolicyText{embedded_source_name, embedded_default_policy()} : read_loaded_file(pid, published);
    std::string note;
    if (read.text.size() != published.text_bytes || digest64(read.text) != published.text_digest) {
        if (embedded)
            throw TargetError(
                fmt::format("process {}: its shim embeds another default policy than this tcpkeep (another version); "
                            "name the policy with --policy",
                            pid));
        // The shim reloads an edited file at the process's next connection or accept: the file as it
        // is now is the policy the process's sockets are judged by.
        note = fmt::format(
            "its shim loaded an older version of {} ({} bytes then, {} now); the shim reloads it at the process's next connection or "
            "accept; sockets made before keep the older values (`tcpkeep apply --pid {}` sets them)",
            read.name, published.text_bytes, read.text.size(), pid);
    }
    return {PolicyOrigin::shim, read.name, !embedded, std::move(note), parse_or_throw(pid, read), identity_of(published)};
}

// Discovery as the shim does it, seen from the process.
ProcessPolicy discovered(pid_t pid, std::optional<std::string> env, std::string note) {
    const bool secure = secure_execution(pid);
    if (env && !env->empty() && !env->starts_with('/')) {
        if (std::optional<std::string> cwd = working_directory(pid)) env = (std::filesystem::path(*cwd) / *env).string();
    }
    ProcessPolicy chosen{PolicyOrigin::discovery, "", true, std::move(note), {}, read_process_identity(pid)};
    PolicyText read;
    if (!secure && env && !env->empty()) {
        read = read_in_process_view(pid, *env, secure);
    } else if (Result<std::string> system = read_policy_as_target(pid, TCPKEEP_SYSCONF_POLICY, secure); system) {
        read = {TCPKEEP_SYSCONF_POLICY, std::move(system).value()};
    } else if (system.error().code == ENOENT) {  // no system policy: the shim uses its embedded default
        read = {embedded_source_name, embedded_default_policy()};
        chosen.process_view = false;
    } else {
        throw_unreadable(pid, TCPKEEP_SYSCONF_POLICY, system.error());
    }
    chosen.name = read.name;
    chosen.policy = parse_or_throw(pid, read);
    return chosen;
}

}  // namespace

const char* origin_name(PolicyOrigin origin) {
    switch (origin) {
        case PolicyOrigin::command_line: return "command_line";
        case PolicyOrigin::shim: return "shim";
        case PolicyOrigin::cgroup: return "cgroup";
        case PolicyOrigin::discovery: break;
    }
    return "discovery";
}

ProcessPolicy policy_of_attachment(pid_t pid, const Attachment& a) {
    const Result<std::string> text = attached_policy_text(a);
    if (!text)
        throw TargetError(fmt::format("process {}: cannot read the policy attached to cgroup {}: {}; attach it again, or name one with --policy", pid,
                                      a.cgroup, text.error().message));
    std::string note = fmt::format("attached to cgroup {}", a.cgroup);
    if (const Result<std::string> now = read_policy_text(a.policy, false); now && digest64(*now) != a.digest)
        note += fmt::format("; {} has changed since: the attachment runs the text it was attached with (attach again to use the edit)", a.policy);
    return {PolicyOrigin::cgroup, a.policy, false, std::move(note), parse_or_throw(pid, {a.policy, *text}), read_process_identity(pid)};
}

ProcessPolicy policy_of_process(pid_t pid, const std::optional<std::string>& explicit_path, const Result<ShimState>* shim) {
    if (explicit_path)
        return {PolicyOrigin::command_line, *explicit_path, false, "", usable_or_throw(pid, load_policy_file(*explicit_path, false), *explicit_path),
                read_process_identity(pid)};
    if (shim == nullptr)
        return discovered(pid, environment_variable(pid, "TCPKEEP_POLICY"),
                          "no shim in the process: found as a shim would find it, from the process's start-up environment");
    if (!*shim)
        throw TargetError(
            fmt::format("process {}: cannot tell which policy its shim loaded: {}; name the policy with --policy", pid, shim->error().message));
    const ShimState& state = shim->value();
    if (state.policy) return loaded_by_shim(pid, *state.policy);
    if (state.engine == EngineStatus::disabled)
        throw TargetError(
            fmt::format("process {}: its shim is disabled ({}): its sockets are left unchanged", pid, disabled_reason_text(state.disabled_reason)));
    return discovered(pid, state.environment_policy,
                      "not loaded yet: the shim loads its policy at the process's first TCP connection or listener; found as it will find it");
}

}  // namespace tcpkeep::cli
