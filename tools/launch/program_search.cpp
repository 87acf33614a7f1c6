#include "tools/launch/program_search.h"

#include <fcntl.h>
#include <paths.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace tcpkeep::cli {
namespace {

// execvp's search path when PATH is unset ("/bin:/usr/bin" with glibc).
std::string default_search_path() {
    const std::size_t size = ::confstr(_CS_PATH, nullptr, 0);
    if (size == 0) return "/bin:/usr/bin";
    std::string path(size, '\0');
    ::confstr(_CS_PATH, path.data(), size);
    path.resize(size - 1);  // the count includes the terminating NUL
    return path;
}

Error not_found(int error) { return Error{std::strerror(error), error}; }

}  // namespace

Result<std::string> find_program(const std::string& name) {
    if (name.empty()) return not_found(ENOENT);
    if (name.find('/') != std::string::npos) return name;
    const char* env = std::getenv("PATH");
    const std::string search = env != nullptr ? env : default_search_path();
    bool denied = false;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = std::min(search.find(':', start), search.size());
        const std::string_view dir(search.data() + start, end - start);
        const std::string candidate = dir.empty() ? name : std::string(dir) + "/" + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0) {
            if (S_ISREG(st.st_mode) && ::faccessat(AT_FDCWD, candidate.c_str(), X_OK, AT_EACCESS) == 0) return candidate;
            denied = true;  // execve fails with EACCES here, and execvp goes on
        } else if (errno == EACCES) {
            denied = true;
        }
        if (end == search.size()) break;
        start = end + 1;
    }
    return not_found(denied ? EACCES : ENOENT);
}

int exec_program(const std::string& path, char* const argv[]) {
    ::execv(path.c_str(), argv);
    if (errno != ENOEXEC) return errno;
    std::vector<char*> script{const_cast<char*>(_PATH_BSHELL), const_cast<char*>(path.c_str())};
    for (char* const* a = argv[0] != nullptr ? argv + 1 : argv; *a != nullptr; ++a) script.push_back(*a);
    script.push_back(nullptr);
    ::execv(_PATH_BSHELL, script.data());
    return errno;
}

int cannot_run(const std::string& name, int error) {
    std::fprintf(stderr, "tcpkeep: cannot run %s: %s\n", name.c_str(), std::strerror(error));
    return error == ENOENT ? 127 : 126;
}

}  // namespace tcpkeep::cli
