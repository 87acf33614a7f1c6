// Where the libtcpkeep.so that belongs to this tcpkeep binary is: next to it in the build tree
// (<build>/tools/tcpkeep -> <build>/lib/tcpkeep/) or the install tree (<prefix>/bin/tcpkeep ->
// <prefix>/<libdir>/tcpkeep/). TCPKEEP_SHIM overrides both.
#pragma once
#include <string>

#include "config/result.h"

namespace tcpkeep::cli {

// The canonical path of the library, or "cannot find libtcpkeep.so (looked at CANDIDATES); set
// TCPKEEP_SHIM=PATH".
Result<std::string> locate_shim();

}  // namespace tcpkeep::cli
