// Who a process is, for `process = [...]` patterns: fixed once per process (read by
// system/read_process_identity.h).
#pragma once
#include <string>

namespace tcpkeep {

struct ProcessIdentity {
    std::string exe_path;    // canonical executable path (/proc/PID/exe)
    std::string exe_name;    // its file name
    std::string argv0_name;  // file name of argv[0]
    std::string comm;        // the kernel's comm name (15 chars at most)
};

// A pattern containing '/' globs the executable path; otherwise it globs the executable's
// name, argv[0]'s name or comm: any of the three.
bool process_matches(const std::string& pattern, const ProcessIdentity& who);

}  // namespace tcpkeep
