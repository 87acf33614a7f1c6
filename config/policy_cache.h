// A validated policy in a flat binary form ("FILE.compiled", written by `tcpkeep check --compile`),
// so a process starting up need not parse TOML: parsing a 10,000-rule policy takes tens of
// milliseconds, reading its compiled form about one. The cache names the policy file it was made
// from (device, inode, size, modification time); any difference and it is ignored.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/policy.h"

namespace tcpkeep {

struct FileIdentity {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;

    static std::optional<FileIdentity> of(const std::string& path);
    bool operator==(const FileIdentity&) const = default;
};

std::string compiled_path_for(const std::string& policy_path);  // "<policy>.compiled"

std::string serialize_policy(const Policy& policy, const FileIdentity& source);

// What a compiled form's last 8 bytes hold: the checksum of everything before them. It guards
// against accidental damage only (a fuzzer seals arbitrary bytes with it).
std::uint64_t compiled_checksum(std::string_view body);

// nullopt when the bytes are not a cache of this format, are damaged, or were made from another
// version of the policy file than `source`.
std::optional<Policy> deserialize_policy(std::string_view bytes, const FileIdentity& source) noexcept;

}  // namespace tcpkeep
