// A validated policy in a flat binary form ("FILE.compiled", written by `tcpkeep check --compile`),
// so a process starting up need not parse TOML: parsing a 10,000-rule policy takes tens of
// milliseconds, reading its compiled form a few. The compiled form names the text it was made from
// by its size and digest, so it stays valid wherever the two files are copied together (an image
// layer, a Kubernetes volume, rsync) and is ignored the moment the text differs in one byte.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/policy.h"

namespace tcpkeep {

std::string compiled_path_for(const std::string& policy_path);  // "<policy>.compiled"

// `policy` as read from `text` (the policy file's bytes).
std::string serialize_policy(const Policy& policy, std::string_view text);

// What a compiled form's last 8 bytes hold: the checksum of everything before them. It guards
// against accidental damage only (a fuzzer seals arbitrary bytes with it).
std::uint64_t compiled_checksum(std::string_view body);

// nullopt when the bytes are not a compiled form of this format, are damaged, or were made from
// another text than `text`. The policy's source is `source_name` (where `text` was read).
std::optional<Policy> deserialize_policy(std::string_view bytes, std::string_view text, std::string_view source_name) noexcept;

}  // namespace tcpkeep
