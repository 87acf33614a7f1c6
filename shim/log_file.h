// Opening TCPKEEP_LOG_FILE for one line, only where writing cannot hurt anyone. The variable may
// come from another user: `su` without `-` and `sudo -E` keep it, so a root process can carry a
// user's TCPKEEP_LOG_FILE (and TCPKEEP_POLICY, whose path is logged). Rules:
// - the name ends in ".log" (no shell startup file, ld.so.preload, crontab, sudoers or key file);
// - its directory belongs to the process's user or root and no other user can write to it;
// - the file itself is never a symbolic link (not followed), is a regular file (a FIFO or device
//   is never opened), has one link, no execute bit, and belongs to the process's user;
// - an existing file is appended to only when it is empty or already starts with a tcpkeep line;
// - a missing one is created (0600), except by root: its name and part of its text may be a
//   user's choice, and some root-owned directories run every file they hold.
#pragma once

namespace tcpkeep::shim {

struct LogFile {
    int fd = -1;                    // open for appending; the caller closes it with real::close
    const char* refused = nullptr;  // else why not (a fixed text), or
    int error = 0;                  // the errno of a failed system call
};

LogFile open_log_file(const char* path);

}  // namespace tcpkeep::shim
