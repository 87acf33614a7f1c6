// The shim's environment variables, copied at load time (before the program can clear or change
// its environment) and ignored entirely for setuid/setgid programs (AT_SECURE).
#pragma once

namespace tcpkeep::shim {

struct ShimEnvironment {
    bool secure = false;              // AT_SECURE: only the system policy is read
    const char* policy = nullptr;     // TCPKEEP_POLICY or nullptr
    bool policy_too_long = false;     // TCPKEEP_POLICY longer than any path: reported, never read as unset
    const char* log_level = nullptr;  // TCPKEEP_LOG or nullptr
    const char* log_file = nullptr;   // TCPKEEP_LOG_FILE or nullptr
};

// Captured once by the library constructor; before that (a hook called from an earlier
// constructor) it is captured on first use.
const ShimEnvironment& shim_environment();

}  // namespace tcpkeep::shim
