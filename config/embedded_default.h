// The policy every TCP socket gets when no policy file exists, compiled in from
// examples/policies/default.toml.
#pragma once

namespace tcpkeep {

inline constexpr const char* embedded_source_name = "<embedded default>";

const char* embedded_default_policy();

}  // namespace tcpkeep
