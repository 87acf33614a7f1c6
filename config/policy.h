// A policy as written in the TOML file (format v1), before it is compiled for one process.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "config/net_address.h"
#include "config/settings.h"
#include "config/source_pos.h"

namespace tcpkeep {

template <typename T>
struct Located {
    T value{};
    SourcePos pos;
};

// user_timeout = "auto" means idle + interval x count, resolved once the effective values are known.
struct UserTimeoutSpec {
    bool automatic = false;
    std::int32_t ms = 0;  // when !automatic; 0 = "off"
};

// The settings one table ([defaults] or a [[rule]]) writes; absent keys stay empty.
struct SettingsSpec {
    std::optional<Located<bool>> keepalive;
    std::optional<Located<std::int32_t>> idle_s;
    std::optional<Located<std::int32_t>> interval_s;
    std::optional<Located<std::int32_t>> count;
    std::optional<Located<UserTimeoutSpec>> user_timeout;
    std::optional<Located<bool>> enforce;
};

// Each option's field in SettingsSpec, in the order of enum Option (and of option_table).
inline constexpr std::tuple settings_spec_fields{&SettingsSpec::keepalive, &SettingsSpec::idle_s, &SettingsSpec::interval_s, &SettingsSpec::count,
                                                 &SettingsSpec::user_timeout};
static_assert(std::tuple_size_v<decltype(settings_spec_fields)> == option_count, "one SettingsSpec field per Option");

// Calls visit(Option, member pointer) for each option in order: code that does the same to every
// option's field of a SettingsSpec, whatever its value type.
template <typename Visit>
constexpr void for_each_option_field(Visit&& visit) {
    [&]<std::size_t... i>(std::index_sequence<i...>) { (visit(static_cast<Option>(i), std::get<i>(settings_spec_fields)), ...); }
    (std::make_index_sequence<option_count>{});
}

// A written value as setsockopt takes it ("auto" is resolved later, by resolve_verdict).
constexpr std::int32_t kernel_value(bool b) { return b ? 1 : 0; }
constexpr std::int32_t kernel_value(std::int32_t v) { return v; }
constexpr std::int32_t kernel_value(const UserTimeoutSpec& u) { return u.ms; }

enum class Direction : std::uint8_t { any, outbound, inbound };
enum class Action : std::uint8_t { apply, skip };

const char* to_string(Direction d);
const char* to_string(Action a);

struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
};

struct Rule {
    std::string name;       // may be empty; display_name() gives "rule #N" then
    std::size_t index = 0;  // 0-based position in the file
    SourcePos pos;          // the [[rule]] header
    Direction direction = Direction::any;
    std::vector<PortRange> ports;      // empty: any port
    std::vector<std::string> process;  // empty: any process
    std::vector<Cidr> peers;           // empty: any peer
    Action action = Action::apply;
    SettingsSpec settings;

    [[nodiscard]] std::string display_name() const;
    [[nodiscard]] bool matches_everything() const { return direction == Direction::any && ports.empty() && process.empty() && peers.empty(); }
};

struct Policy {
    std::string source;                    // file path, or "<embedded default>"
    std::optional<SettingsSpec> defaults;  // absent: unmatched sockets are left untouched
    std::vector<Rule> rules;
};

}  // namespace tcpkeep
