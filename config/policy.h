// A policy as written in the TOML file (format v1), before it is compiled for one process.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/net_address.h"
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
