// Whom a policy file trusts. Whoever can change a policy can cut every connection of every program
// that reads it (user_timeout = "1ms"), so a program obeys a policy only when nobody but root and
// the program's own user can change what it reads. The rule, for the file and for every directory
// and symbolic link its lookup goes through (links followed, "/" included):
//   - owned by root or by the program's user (its effective uid);
//   - not writable by other users;
//   - group-writable only when the group is its owner's private group: the owner's primary group
//     in <root>/etc/passwd, named like the owner in <root>/etc/group, with no other member there
//     and no other user's primary group; and without an access ACL (its named users and groups
//     would write too). Users and groups known only to a network directory (NSS) never count as
//     private: the shim runs inside other programs and must not query one;
//   - a directory writable by others is accepted only with the sticky bit (like /tmp), where only
//     an entry's owner may replace it; the entry is then held to the same rule.
// The directories and links of /proc are the kernel's: nobody can chmod them, and their links
// (/proc/PID/root, /proc/self/fd/N) are followed as the kernel follows them, unless through_proc is
// false. A file is opened only once it is known to be a regular file (never a FIFO or a device:
// opening one may block or have side effects), and never a file of /proc or /sys itself.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include "config/result.h"
#include "system/unique_fd.h"

namespace tcpkeep {

struct PolicyTrust {
    uid_t user = 0;  // besides root, the only owner trusted: the program's effective uid
    // A setuid program (secure mode) trusts root alone, and its policy file must not be
    // group-writable even by a private group.
    bool secure = false;
    // Where an absolute path's lookup starts, and whose etc/passwd and etc/group name the private
    // groups: "/proc/PID/root" reads a policy as another process sees it.
    std::string root = "/";
    // Whether the lookup may go through /proc: false when a file is read on another process's
    // behalf, where /proc's directories and links (/proc/self/root, /proc/PID/fd/N) would name the
    // reader's view, not the process's, and its files are the kernel's (reading /proc/kmsg drains it).
    bool through_proc = true;
};

// The trust of a program running as `euid` (root alone in secure mode), seeing the files under `root`:
// trust_of(target's euid, secure_execution(pid), "/proc/PID/root") judges a policy as that process does.
PolicyTrust trust_of(uid_t euid, bool secure, std::string root = "/");
// This process's trust: trust_of(geteuid(), secure).
PolicyTrust trust_of_this_process(bool secure);

struct OpenedPolicy {
    UniqueFd fd;       // read-only, non-blocking (a FIFO never waits for a writer)
    std::string path;  // the file as the lookup resolved it: what a message about it names
};

// Why a policy file is not read: a refusal of who else could change it (`untrusted`), or an I/O
// problem (`code` is its errno).
struct PolicyOpenError {
    std::string message;
    int code = 0;
    bool untrusted = false;
};

// Opens `path` for reading, looking it up one name at a time from trust.root (a relative path from
// the working directory) and refusing any directory or link on the way that breaks the rule. The
// file itself is not judged here: its type comes first (see check_file_trust).
Result<OpenedPolicy, PolicyOpenError> open_policy(const std::string& path, const PolicyTrust& trust);

// Whether the opened file's owner and mode keep the rule; the error says how it breaks it
// ("policy refused: PATH ...; fix: ..."). `path` is OpenedPolicy::path.
Result<void> check_file_trust(const struct stat& st, const std::string& path, const PolicyTrust& trust);

}  // namespace tcpkeep
