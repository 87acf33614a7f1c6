// The file `tcpkeep run` executes, found once by execvp's rules and then executed by that exact
// path: what run says about the program (static, setuid, a Go program) is about the file that runs.
#pragma once
#include <string>

#include "config/result.h"

namespace tcpkeep::cli {

// A name holding a '/' is the file itself. Any other name is looked for in each entry of PATH in
// turn (PATH unset: confstr(_CS_PATH), execvp's default; an empty entry is the current directory):
// the first DIR/NAME that is a regular file executable by the effective ids is the one. Else an
// Error with code ENOENT (nothing there) or EACCES (found, but not executable by us).
Result<std::string> find_program(const std::string& name);

// execv(path, argv), and for a file in no binary format (ENOEXEC), /bin/sh reading it as a script
// as execvp does. Returns only on failure, with the errno.
int exec_program(const std::string& path, char* const argv[]);

// Says on stderr that `name` cannot be run (the errno's text) and returns the exit status for it:
// 127 when it does not exist, else 126, as env(1) and shells do.
int cannot_run(const std::string& name, int error);

}  // namespace tcpkeep::cli
