// Writes a synthetic policy (bench/policy_generator.h) to stdout, for the benchmarks that run real
// programs under the shim.   Usage: print_policy RULES [every-rule-active]
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/generator/policy_generator.h"

int main(int argc, char** argv) {
    const int rules = argc > 1 ? std::atoi(argv[1]) : 0;
    const bool every_rule_active = argc > 2 && std::strcmp(argv[2], "every-rule-active") == 0;
    if (rules < 1 || argc > 3 || (argc == 3 && !every_rule_active)) {
        std::fprintf(stderr, "usage: print_policy RULES [every-rule-active]\n");
        return 2;
    }
    const std::string text = tcpkeep::bench::synthetic_policy(rules, every_rule_active).text;
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0 ? 0 : 1;
}
