#include "tools/launch/preload_environment.h"

#include "tools/process/shim_presence.h"

namespace tcpkeep::cli {

std::string prepend_shim(const std::string& shim, const std::optional<std::string>& existing) {
    std::string out = shim;
    if (!existing) return out;
    for (const std::string& entry : preload_entries(*existing))
        if (!is_shim_path(entry)) out += ":" + entry;
    return out;
}

}  // namespace tcpkeep::cli
