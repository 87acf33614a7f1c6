// What the policy decides for one socket: plain data the shim can act on without allocating.
#pragma once
#include <array>
#include <cstdint>

#include "config/settings.h"

namespace tcpkeep {

enum class Origin : std::uint8_t { unset, rule, defaults };

// 40 bytes on x86-64, no padding (the compiled policy holds one per active rule); what the shim acts on
// (kind, enforce, settings) comes first.
struct Verdict {
    enum class Kind : std::uint8_t { untouched, skip, apply };
    Kind kind = Kind::untouched;
    bool enforce = false;  // the program's own setsockopt of these options is ignored
    bool user_timeout_auto = false;
    std::array<Origin, option_count> origin{};
    Settings settings;      // what to set (Kind::apply)
    int rule_index = -1;    // position of the rule in the file; -1 for defaults/untouched
    const char* name = "";  // the rule's display name, "[defaults]", or "" when untouched
};
static_assert(sizeof(Verdict) <= 40);

// The kind as reports name it: "apply", "skip", "untouched".
constexpr const char* action_name(Verdict::Kind k) {
    switch (k) {
        case Verdict::Kind::apply: return "apply";
        case Verdict::Kind::skip: return "skip";
        case Verdict::Kind::untouched: break;
    }
    return "untouched";
}

}  // namespace tcpkeep
