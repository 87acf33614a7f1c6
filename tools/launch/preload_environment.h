// The environment `tcpkeep run` gives the command: the shim first in LD_PRELOAD (never twice),
// the policy in TCPKEEP_POLICY, the log level in TCPKEEP_LOG.
#pragma once
#include <optional>
#include <string>

namespace tcpkeep::cli {

// `shim` followed by the entries of `existing` (':' or space separated, as ld.so reads it) that
// are not a libtcpkeep.so: two copies of the shim would both hook every call.
std::string prepend_shim(const std::string& shim, const std::optional<std::string>& existing);

}  // namespace tcpkeep::cli
