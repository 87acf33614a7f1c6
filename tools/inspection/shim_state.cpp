#include "tools/inspection/shim_state.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "tools/inspection/process_facts.h"
#include "tools/inspection/shim_presence.h"
#include "tools/inspection/target_error.h"
#include "tools/inspection/target_files.h"

namespace tcpkeep::cli {

// Reads the target's memory: every failure is a sentence for the report.
struct ShimStateReader {
    pid_t pid;

    // `size` bytes at `address`, or why not: a short read is EFAULT. `what` names them for the message.
    Result<void> read(std::uint64_t address, void* out, std::size_t size, const char* what) const {
        iovec local{out, size};
        iovec remote{reinterpret_cast<void*>(address), size};
        const ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n == static_cast<ssize_t>(size)) return {};
        const int error = n < 0 ? errno : EFAULT;
        return Error{why(error, what), error};
    }

    static std::string why(int error, const char* what) {
        if (error == ESRCH) return fmt::format("the process exited while its {} was read", what);
        if (error == EPERM || error == EACCES) return fmt::format("reading its {} was refused: {}", what, ptrace_requirement);
        return fmt::format("its {} could not be read: {}", what, std::strerror(error));
    }

    // A NUL-terminated string of at most PATH_MAX bytes.
    std::optional<std::string> read_string(const char* address) const {
        char buf[PATH_MAX];
        // Byte by byte would be slow; the string may end near a page end, so read up to it first.
        const auto at = reinterpret_cast<std::uint64_t>(address);
        const std::size_t to_page_end = 4096 - (at & 4095);
        std::size_t have = 0;
        for (std::size_t chunk = std::min(to_page_end, sizeof buf); have < sizeof buf; chunk = std::min<std::size_t>(4096, sizeof buf - have)) {
            if (!read(at + have, buf + have, chunk, "string")) return std::nullopt;
            if (const void* nul = std::memchr(buf + have, '\0', chunk)) return std::string(buf, static_cast<const char*>(nul) - buf);
            have += chunk;
        }
        return std::nullopt;
    }
};

const char* disabled_reason_text(DisabledReason reason) {
    switch (reason) {
        case DisabledReason::none: break;
        case DisabledReason::policy_too_long: return "TCPKEEP_POLICY is longer than any path";
        case DisabledReason::engine_missing: return "libtcpkeep-engine.so was not found next to the shim";
        case DisabledReason::engine_unloadable: return "libtcpkeep-engine.so could not be loaded";
        case DisabledReason::policy_unusable: return "its policy could not be loaded";
        case DisabledReason::nothing_applies: return "nothing in its policy applies to this process";
    }
    return "";
}

std::optional<shim::FdState> ShimState::fd_state(int fd) const {
    if (fd < 0) return shim::FdState{};
    if (fd < published_low_fds) return shim::FdState::unpack(raw_.low_fds[fd]);
    const int chunk = fd >> published_chunk_bits;
    if (chunk >= published_chunk_count || raw_.chunks[chunk] == nullptr) return shim::FdState{};
    std::uint64_t word = 0;
    const auto address = reinterpret_cast<std::uint64_t>(raw_.chunks[chunk] + (fd & ((1 << published_chunk_bits) - 1)));
    if (!ShimStateReader{pid_}.read(address, &word, sizeof word, "fd record")) return std::nullopt;
    return shim::FdState::unpack(word);
}

Result<ShimState> read_shim_state(pid_t pid, const ShimPresence& shim) {
    const ShimStateReader reader{pid};
    const std::string library = shim.path.value_or("");
    if (!shim.base) return Error{fmt::format("{} is mapped but not from its start", library)};
    // The very file the process mapped, never a namesake at its path (map_files).
    const Result<std::optional<MappedFileSymbols>> found = dynamic_symbol_of_mapping(pid, *shim.base, published_state_symbol);
    if (!found) return Error{fmt::format("cannot read {}: {}", library, found.error().message), found.error().code};
    if (!*found || (*found)->symbol_size != sizeof(PublishedState))
        return Error{
            fmt::format("{} is a shim of another version: it publishes no {} of the layout this tcpkeep reads", library, published_state_symbol)};
    const MappedFileSymbols& symbols = **found;

    ShimState state;
    state.pid_ = pid;
    if (Result<void> r =
            reader.read(shim.base->start - symbols.first_load_address + symbols.symbol_address, &state.raw_, sizeof state.raw_, "shim state");
        !r)
        return std::move(r).error();
    const PublishedState& raw = state.raw_;
    if (raw.layout != 0 && raw.layout != published_layout)
        return Error{fmt::format("the shim in the process publishes layout {}, this tcpkeep reads layout {}", raw.layout, published_layout)};
    state.engine = static_cast<EngineStatus>(raw.engine);
    state.disabled_reason = static_cast<DisabledReason>(raw.disabled_reason);
    if (raw.environment_policy != nullptr) {
        state.environment_policy = reader.read_string(raw.environment_policy);
        if (!state.environment_policy) return Error{ShimStateReader::why(EFAULT, "captured TCPKEEP_POLICY"), EFAULT};
    }
    if (raw.policy != nullptr) {
        PublishedPolicy& policy = state.policy.emplace();
        if (Result<void> r = reader.read(reinterpret_cast<std::uint64_t>(raw.policy), &policy, sizeof policy, "policy record"); !r)
            return std::move(r).error();
        if (policy.layout != published_layout) return Error{"the shim's engine publishes a policy record of another layout"};
        // Strings from another process: terminated here whatever they hold.
        policy.path[sizeof policy.path - 1] = policy.exe_path[sizeof policy.exe_path - 1] = '\0';
        policy.argv0_name[sizeof policy.argv0_name - 1] = policy.comm[sizeof policy.comm - 1] = policy.message[sizeof policy.message - 1] = '\0';
    }
    return state;
}

}  // namespace tcpkeep::cli
