#include "tools/policy/policy_writer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <vector>

#include "config/duration.h"
#include "config/option_table.h"

namespace tcpkeep::cli {
namespace {

std::string seconds(std::int32_t s) { return toml_string(format_duration(std::int64_t{s} * 1000)); }

// A value as the policy reader reads it back, by the type of its SettingsSpec field.
std::string value_text(const OptionSpec&, bool b) { return b ? "true" : "false"; }
std::string value_text(const OptionSpec& option, std::int32_t v) { return option.kind == ValueKind::seconds ? seconds(v) : std::to_string(v); }
std::string value_text(const OptionSpec&, const UserTimeoutSpec& u) {
    return toml_string(u.automatic ? "auto" : u.ms == 0 ? "off" : format_duration(u.ms));
}

void write_settings(std::string& out, const SettingsSpec& s) {
    for_each_option_field([&](Option o, auto member) {
        if (const auto& field = s.*member) out += fmt::format("{} = {}\n", option_spec(o).key, value_text(option_spec(o), field->value));
    });
    if (s.enforce) out += fmt::format("enforce = {}\n", s.enforce->value);
}

std::string port_text(const PortRange& r) { return r.first == r.last ? std::to_string(r.first) : toml_string(fmt::format("{}-{}", r.first, r.last)); }

// The block's first address and prefix length, e.g. "10.0.0.0/8".
std::string cidr_text(const Cidr& c) {
    const int width = c.family == Family::v4 ? 32 : 128;
    int host_bits = 0;
    while (host_bits < width && ((c.first ^ c.last) >> host_bits) & 1) ++host_bits;
    PeerAddress a;
    a.family = c.family;
    const int bytes = width / 8;
    for (int i = 0; i < bytes; ++i) a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c.first >> (8 * (bytes - 1 - i)));
    return toml_string(fmt::format("{}/{}", a.to_string(), width - host_bits));
}

template <typename T, typename Format>
std::string list(const std::vector<T>& items, Format format) {
    std::vector<std::string> texts;
    for (const T& item : items) texts.push_back(format(item));
    return fmt::format("[{}]", fmt::join(texts, ", "));
}

}  // namespace

std::string toml_string(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            out += fmt::format("\\u{:04X}", u);
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string to_toml(const Policy& policy, std::string_view comment) {
    std::string out;
    std::size_t start = 0;
    while (start < comment.size()) {
        const std::size_t end = std::min(comment.find('\n', start), comment.size());
        out += fmt::format("# {}\n", comment.substr(start, end - start));
        start = end + 1;
    }
    out += "version = 1\n";
    if (policy.defaults) {
        out += "\n[defaults]\n";
        write_settings(out, *policy.defaults);
    }
    for (const Rule& r : policy.rules) {
        out += "\n[[rule]]\n";
        if (!r.name.empty()) out += fmt::format("name = {}\n", toml_string(r.name));
        if (r.direction != Direction::any) out += fmt::format("direction = {}\n", toml_string(to_string(r.direction)));
        if (!r.ports.empty()) out += fmt::format("ports = {}\n", list(r.ports, port_text));
        if (!r.process.empty()) out += fmt::format("process = {}\n", list(r.process, [](const std::string& p) { return toml_string(p); }));
        if (!r.peers.empty()) out += fmt::format("peers = {}\n", list(r.peers, cidr_text));
        if (r.action != Action::apply) out += fmt::format("action = {}\n", toml_string(to_string(r.action)));
        write_settings(out, r.settings);
    }
    return out;
}

}  // namespace tcpkeep::cli
