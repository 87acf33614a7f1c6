#include "config/process_identity.h"

#include <fnmatch.h>

namespace tcpkeep {
namespace {

bool glob(const std::string& pattern, const std::string& text, int flags) {
    return !text.empty() && ::fnmatch(pattern.c_str(), text.c_str(), flags) == 0;
}

}  // namespace

bool process_matches(const std::string& pattern, const ProcessIdentity& who) {
    if (pattern.find('/') != std::string::npos) return glob(pattern, who.exe_path, FNM_PATHNAME);
    return glob(pattern, who.exe_name, 0) || glob(pattern, who.argv0_name, 0) || glob(pattern, who.comm, 0);
}

}  // namespace tcpkeep
