// Whom a target process acts as when it opens a file: its filesystem uid and gid, supplementary
// groups and effective capabilities (/proc/PID/status). Root's tool takes them on (in a child,
// see read_as_target.h) before it opens a path the target named, so it reads only what the
// target itself could.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/result.h"

namespace tcpkeep::cli {

struct TargetCredentials {
    uid_t uid = 0;  // the filesystem uid: the one the kernel checks file access against
    gid_t gid = 0;  // the filesystem gid
    uid_t effective_uid = 0;
    std::vector<gid_t> groups;
    std::uint64_t capabilities = 0;  // CapEff
};

// Parses the text of /proc/PID/status; an error names the line that is missing or malformed.
Result<TargetCredentials> parse_credentials(std::string_view status);

// Makes the calling (single-threaded, forked) process act as `who`: supplementary groups, gid,
// uid, then capabilities (only root's survive a change of uid). Raw system calls: no other thread
// of the tool is involved. errno on failure.
Result<void> become(const TargetCredentials& who);

}  // namespace tcpkeep::cli
