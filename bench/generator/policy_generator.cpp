#include "bench/generator/policy_generator.h"

#include <fmt/format.h>
#include <random>

namespace tcpkeep::bench {

SyntheticPolicy synthetic_policy(int rules, bool every_rule_active) {
    std::mt19937 rng(12345);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    SyntheticPolicy p;
    p.text = "version = 1\n[defaults]\nkeepalive = true\nidle = \"60s\"\ninterval = \"10s\"\ncount = 6\n";
    for (int i = 0; i < rules; ++i) {
        const int port = pick(1, 64000);
        const int a = pick(0, 255), b = pick(0, 255), c = pick(0, 0xffff);
        p.text += fmt::format("[[rule]]\nname = \"rule {}\"\n", i);
        p.text += i % 2 ? fmt::format("ports = [\"{}-{}\"]\n", port, port + pick(0, 500)) : fmt::format("ports = [{}]\n", port);
        p.text += fmt::format("peers = [\"10.{}.{}.0/24\", \"fd00:{:x}:{:x}::/48\"]\n", a, b, i, c);
        const bool other_process = !every_rule_active && i % 4 == 3;
        if (other_process) p.text += fmt::format("process = [\"app-{}\", \"/opt/app{}/bin/*\"]\n", i, i);
        if (i % 3 == 2) p.text += "direction = \"outbound\"\n";
        p.text += fmt::format("idle = \"{}s\"\n", pick(1, 600));
        p.rules.push_back({port, fmt::format("10.{}.{}.7", a, b), fmt::format("fd00:{:x}:{:x}::7", i, c), !other_process});
    }
    return p;
}

}  // namespace tcpkeep::bench
