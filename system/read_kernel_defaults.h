// Reading the TCP sysctls of the calling thread's network namespace from /proc/sys.
#pragma once
#include <string>

#include "config/kernel_defaults.h"

namespace tcpkeep {

// `root` is the directory holding the net.ipv4 entries. Missing or unreadable entries keep the
// kernel's built-in default (KernelDefaults{}). Values come back within the kernel's ranges
// (within_kernel_ranges): a namespace's owner chooses them.
KernelDefaults read_kernel_defaults(const std::string& root = "/proc/sys/net/ipv4/");

}  // namespace tcpkeep
