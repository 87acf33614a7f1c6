// The shim's debug line for each decision it carries out (TCPKEEP_LOG=debug).
#pragma once
#include <sys/socket.h>
#include <cstdint>

#include "config/verdict.h"

namespace tcpkeep::shim {

// One line stating what was done: the options set (the setsockopt calls made), those left as the
// program set them (`leave`), and those whose setsockopt failed. `what` precedes the address and
// `port_label` the port: "outbound 10.0.0.5 port 5432", "listening 127.0.0.1 port 80",
// "inbound from 10.0.0.9 to port 80".
void log_decision(int fd, const char* what, const sockaddr* addr, const char* port_label, std::uint16_t port, const Verdict& v, std::uint8_t leave,
                  std::uint8_t set);

// Options put back to the kernel's defaults because the policy no longer sets them.
void log_restored(int fd, std::uint8_t restored);

}  // namespace tcpkeep::shim
