// Where the libtcpkeep.so that belongs to this tcpkeep binary is: next to it in the build tree
// (<build>/tools/tcpkeep -> <build>/lib/tcpkeep/) or the install tree (<prefix>/bin/tcpkeep ->
// <prefix>/<libdir>/tcpkeep/). TCPKEEP_SHIM overrides both.
#pragma once
#include <string>
#include <vector>

namespace tcpkeep::cli {

struct ShimLocation {
    std::string path;                 // canonical path of the library found; empty when none
    std::vector<std::string> tried;   // every candidate looked at, for the error message

    // "cannot find libtcpkeep.so (looked at ...); set TCPKEEP_SHIM=PATH".
    [[nodiscard]] std::string missing_message() const;
};

ShimLocation locate_shim();

}  // namespace tcpkeep::cli
