#include "config/policy.h"

#include <fmt/format.h>

namespace tcpkeep {

const char* to_string(Direction d) {
    switch (d) {
        case Direction::any: return "any";
        case Direction::outbound: return "outbound";
        case Direction::inbound: return "inbound";
    }
    return "?";
}

const char* to_string(Action a) { return a == Action::apply ? "apply" : "skip"; }

std::string Rule::display_name() const { return name.empty() ? fmt::format("rule #{}", index + 1) : name; }

}  // namespace tcpkeep
