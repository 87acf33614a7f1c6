// The exit statuses every command shares. Below all of tools/: the inspection model computes them,
// the commands return them.
#pragma once

namespace tcpkeep::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_findings = 1;  // invalid policy, mismatch
inline constexpr int exit_error = 2;     // usage, I/O, permissions

}  // namespace tcpkeep::cli
