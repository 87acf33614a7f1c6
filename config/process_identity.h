// Who a process is, for `process = [...]` patterns: fixed once per process (read by
// system/read_process_identity.h, from the shim's record by the tool, or named by `explain`).
#pragma once
#include <string>
#include <string_view>

namespace tcpkeep {

struct ProcessIdentity {
    std::string exe_path;    // canonical executable path (/proc/PID/exe)
    std::string exe_name;    // its file name
    std::string argv0_name;  // file name of argv[0]
    std::string comm;        // the kernel's comm name (15 chars at most)
};

// The one way to build an identity: the names derived from the paths as patterns see them.
// `executable`: /proc/PID/exe's target, or a name without '/' (then exe_path stays empty);
// `argv0`: argv[0] as the program was started; `comm`: the kernel's name for it.
ProcessIdentity process_identity(std::string_view executable, std::string_view argv0, std::string_view comm);

// The part after the last '/' ("" for "", the whole text without one).
std::string_view base_name(std::string_view path);

// A pattern containing '/' globs the executable path; otherwise it globs the executable's
// name, argv[0]'s name or comm: any of the three.
bool process_matches(const std::string& pattern, const ProcessIdentity& who);

}  // namespace tcpkeep
