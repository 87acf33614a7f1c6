// Hooks are the only symbols libtcpkeep.so exports (see exports.map).
#pragma once
#define TCPKEEP_HOOK extern "C" __attribute__((visibility("default")))
