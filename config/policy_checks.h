// Whole-policy checks that need more than one key: duplicate names, shadowing rules, and the
// kernel pitfalls of combining user_timeout with keepalive (net/ipv4/tcp_timer.c).
#pragma once
#include <vector>

#include "config/diagnostic.h"
#include "config/policy.h"

namespace tcpkeep {

void check_policy(const Policy& policy, std::vector<Diagnostic>& out);

}  // namespace tcpkeep
