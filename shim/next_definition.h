// What dlsym(RTLD_NEXT, name) answers for this library, found by reading the loader's tables
// directly: every process that calls socket() or close() once pays for that first resolution
// (dlsym's first binding and two lookups: ~3,300 instructions, 1.4x a plain C preload's whole
// load tax for a program that uses sockets but not TCP). Null whenever anything is unusual: the
// caller then asks dlsym, which stays the authority.
#pragma once

namespace tcpkeep {

void* next_definition(const char* name) noexcept;

}  // namespace tcpkeep
