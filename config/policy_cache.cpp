#include "config/policy_cache.h"

#include <cstring>
#include <type_traits>

#include "config/digest.h"
#include "config/option_table.h"

namespace tcpkeep {
namespace {

constexpr char magic[8] = {'T', 'C', 'P', 'K', 'E', 'E', 'P', 'C'};
constexpr std::uint32_t format_version = 2;  // 2: keyed by the text's digest (1: by device, inode, size, mtime)

class Writer {
public:
    std::string out;

    template <typename T>
    void put(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        out.append(reinterpret_cast<const char*>(&value), sizeof value);
    }
    void put_string(const std::string& s) {
        put(static_cast<std::uint32_t>(s.size()));
        out += s;
    }
    // Structs with padding are written field by field: no uninitialised bytes reach the file.
    void put_value(const UserTimeoutSpec& u) {
        put(static_cast<std::uint8_t>(u.automatic));
        put(u.ms);
    }
    void put_value(const Cidr& c) {
        put(c.family);
        put(c.first);
        put(c.last);
    }
    template <typename T>
    void put_value(const T& v) {
        put(v);
    }
    template <typename T>
    void put_optional(const std::optional<Located<T>>& v) {
        put(static_cast<std::uint8_t>(v.has_value()));
        if (v) put_value(v->value);
    }
    void put_settings(const SettingsSpec& s) {
        for_each_option_field([&](Option, auto member) { put_optional(s.*member); });
        put_optional(s.enforce);
    }
};

// Every read is bounds-checked; the first failure makes the whole cache unusable.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}
    bool ok = true;

    template <typename T>
    T get() {
        T value{};
        if (!ok || bytes_.size() - pos_ < sizeof value) {
            ok = false;
            return value;
        }
        std::memcpy(&value, bytes_.data() + pos_, sizeof value);
        pos_ += sizeof value;
        return value;
    }
    std::string get_string() {
        const auto n = get<std::uint32_t>();
        if (!ok || bytes_.size() - pos_ < n) {
            ok = false;
            return {};
        }
        std::string s(bytes_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    // A count of items each at least `item_bytes` long: more than the bytes left is damage.
    std::uint32_t get_count(std::size_t item_bytes) {
        const auto n = get<std::uint32_t>();
        if (ok && n > (bytes_.size() - pos_) / item_bytes) ok = false;
        return ok ? n : 0;
    }
    template <typename T>
    T get_value() {
        if constexpr (std::is_same_v<T, UserTimeoutSpec>) {
            const bool automatic = get<std::uint8_t>() != 0;
            return UserTimeoutSpec{automatic, get<std::int32_t>()};
        } else if constexpr (std::is_same_v<T, bool>) {  // a byte that is neither 0 nor 1 is no bool
            const auto byte = get<std::uint8_t>();
            if (byte > 1) ok = false;
            return byte == 1;
        } else if constexpr (std::is_same_v<T, Cidr>) {
            const Family family = get<Family>();
            const AddressKey first = get<AddressKey>();
            return Cidr{family, first, get<AddressKey>()};
        } else {
            return get<T>();
        }
    }
    template <typename T>
    void get_optional(std::optional<Located<T>>& v) {
        if (get<std::uint8_t>() != 0) v = Located<T>{get_value<T>(), {}};
    }
    SettingsSpec get_settings() {
        SettingsSpec s;
        for_each_option_field([&](Option o, auto member) {
            auto& field = s.*member;
            get_optional(field);
            // Values the reader would have refused are damage: the shim must never hand them to the kernel.
            if (field && outside(kernel_value(field->value), option_spec(o))) ok = false;
        });
        get_optional(s.enforce);
        return s;
    }
    [[nodiscard]] bool at_end() const { return pos_ == bytes_.size(); }

private:
    static bool outside(std::int32_t value, const OptionSpec& option) { return value < option.low || value > option.high; }
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

}  // namespace

std::uint64_t compiled_checksum(std::string_view body) { return digest64(body); }

std::string compiled_path_for(const std::string& policy_path) { return policy_path + ".compiled"; }

std::string serialize_policy(const Policy& policy, std::string_view text) {
    Writer w;
    w.out.append(magic, sizeof magic);
    w.put(format_version);
    w.put(static_cast<std::uint64_t>(text.size()));
    w.put(digest64(text));
    w.put(static_cast<std::uint8_t>(policy.defaults.has_value()));
    if (policy.defaults) w.put_settings(*policy.defaults);
    w.put(static_cast<std::uint32_t>(policy.rules.size()));
    for (const Rule& r : policy.rules) {
        w.put_string(r.name);
        w.put(static_cast<std::uint64_t>(r.index));
        w.put(r.direction);
        w.put(r.action);
        w.put(static_cast<std::uint32_t>(r.ports.size()));
        for (const PortRange& p : r.ports) w.put(p);
        w.put(static_cast<std::uint32_t>(r.process.size()));
        for (const std::string& p : r.process) w.put_string(p);
        w.put(static_cast<std::uint32_t>(r.peers.size()));
        for (const Cidr& c : r.peers) w.put_value(c);
        w.put_settings(r.settings);
    }
    w.put(compiled_checksum(w.out));
    return std::move(w.out);
}

std::optional<Policy> deserialize_policy(std::string_view bytes, std::string_view text, std::string_view source_name) noexcept {
    try {
        constexpr std::size_t header = sizeof magic + sizeof format_version;
        if (bytes.size() < header + sizeof(std::uint64_t) || std::memcmp(bytes.data(), magic, sizeof magic) != 0) return std::nullopt;
        const std::string_view body = bytes.substr(0, bytes.size() - sizeof(std::uint64_t));
        std::uint64_t checksum = 0;
        std::memcpy(&checksum, bytes.data() + body.size(), sizeof checksum);
        if (checksum != compiled_checksum(body)) return std::nullopt;

        Reader r(body.substr(sizeof magic));
        if (r.get<std::uint32_t>() != format_version) return std::nullopt;
        const auto made_from_size = r.get<std::uint64_t>();
        const auto made_from_digest = r.get<std::uint64_t>();
        if (!r.ok || made_from_size != text.size() || made_from_digest != digest64(text)) return std::nullopt;
        Policy policy;
        policy.source = source_name;
        if (r.get<std::uint8_t>() != 0) policy.defaults = r.get_settings();
        const std::uint32_t rules = r.get_count(16);
        policy.rules.reserve(rules);
        for (std::uint32_t i = 0; i < rules && r.ok; ++i) {
            Rule rule;
            rule.name = r.get_string();
            rule.index = static_cast<std::size_t>(r.get<std::uint64_t>());
            rule.direction = r.get<Direction>();
            rule.action = r.get<Action>();
            rule.ports.resize(r.get_count(sizeof(PortRange)));
            for (PortRange& p : rule.ports) {
                p = r.get<PortRange>();
                if (p.first > p.last) r.ok = false;
            }
            rule.process.resize(r.get_count(sizeof(std::uint32_t)));
            for (std::string& p : rule.process) p = r.get_string();
            rule.peers.resize(r.get_count(1 + 2 * sizeof(AddressKey)));
            for (Cidr& c : rule.peers) {
                c = r.get_value<Cidr>();
                if (static_cast<unsigned>(c.family) > 1 || c.first > c.last) r.ok = false;
            }
            rule.settings = r.get_settings();
            if (static_cast<unsigned>(rule.direction) > 2 || static_cast<unsigned>(rule.action) > 1) r.ok = false;
            policy.rules.push_back(std::move(rule));
        }
        if (!r.ok || !r.at_end()) return std::nullopt;
        return policy;
    } catch (...) {  // allocation failure: parse the TOML instead
        return std::nullopt;
    }
}

}  // namespace tcpkeep
