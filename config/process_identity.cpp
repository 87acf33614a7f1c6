#include "config/process_identity.h"

#include <fnmatch.h>

namespace tcpkeep {
namespace {

bool glob(const std::string& pattern, const std::string& text, int flags) {
    return !text.empty() && ::fnmatch(pattern.c_str(), text.c_str(), flags) == 0;
}

}  // namespace

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

ProcessIdentity process_identity(std::string_view executable, std::string_view argv0, std::string_view comm) {
    ProcessIdentity who;
    if (executable.find('/') != std::string_view::npos) who.exe_path = executable;
    who.exe_name = base_name(executable);
    who.argv0_name = base_name(argv0);
    who.comm = comm;
    return who;
}

bool process_matches(const std::string& pattern, const ProcessIdentity& who) {
    if (pattern.find('/') != std::string::npos) return glob(pattern, who.exe_path, FNM_PATHNAME);
    return glob(pattern, who.exe_name, 0) || glob(pattern, who.argv0_name, 0) || glob(pattern, who.comm, 0);
}

}  // namespace tcpkeep
