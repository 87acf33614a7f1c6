// The environment that puts the shim into a program: for `tcpkeep run`, the shim first in
// LD_PRELOAD (never twice), the policy in TCPKEEP_POLICY, the log level in TCPKEEP_LOG; for
// `tcpkeep env`, the same assignments written for a service manager, a shell or a Dockerfile.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"

namespace tcpkeep::cli {

// `shim` followed by the entries of `existing` (':' or space separated, as ld.so reads it) that
// are not a libtcpkeep.so: two copies of the shim would both hook every call.
std::string prepend_shim(const std::string& shim, const std::optional<std::string>& existing);

enum class EnvFormat { systemd, shell, docker };

// One assignment of `value` to `key` as a line of `format`, ending in '\n': a systemd
// `Environment=` line, a shell `export` line or a Dockerfile `ENV` line. Values of letters, digits
// and "/._-+:,=@" stay bare; others are quoted so that the program receives exactly `value`.
// An Error when `format` cannot hold the value: a Dockerfile joins a line ending in a backslash
// to the next, so no ENV line carries a line break.
Result<std::string> environment_line(EnvFormat format, std::string_view key, std::string_view value);

}  // namespace tcpkeep::cli
