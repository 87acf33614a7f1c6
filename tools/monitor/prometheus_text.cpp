#include "tools/monitor/prometheus_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tcpkeep::cli {
namespace {

// The length of the valid UTF-8 sequence at the start of `s`; 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = byte(0);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0;
    if (length == 0 || length > s.size()) return 0;
    for (std::size_t i = 1; i < length; ++i)
        if ((byte(i) & 0xc0) != 0x80) return 0;
    // Overlong forms, UTF-16 surrogates and code points above U+10FFFF are invalid too.
    const unsigned char second = length > 1 ? byte(1) : 0;
    if ((lead == 0xe0 && second < 0xa0) || (lead == 0xed && second > 0x9f) || (lead == 0xf0 && second < 0x90) || (lead == 0xf4 && second > 0x8f))
        return 0;
    return length;
}

// Backslash and line feed escaped (and, in a label value, the double quote); a byte that is no
// valid UTF-8, which would make the whole file unreadable to Prometheus, becomes U+FFFD.
std::string escaped(std::string_view text, bool label_value) {
    std::string out;
    while (!text.empty()) {
        const std::size_t n = utf8_sequence(text);
        const char c = text[0];
        if (n == 0) out += "\xEF\xBF\xBD";
        else if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && label_value) out += "\\\"";
        else out.append(text.substr(0, n));
        text.remove_prefix(std::max<std::size_t>(n, 1));
    }
    return out;
}

std::string label_set(const Labels& labels) {
    if (labels.empty()) return "";
    std::string out = "{";
    for (const auto& [name, value] : labels) {
        if (out.size() > 1) out += ',';
        out += fmt::format("{}=\"{}\"", name, escaped_label_value(value));
    }
    return out + "}";
}

}  // namespace

void MetricFamily::add(const Labels& labels, double value) { samples_[labels] += value; }

void MetricFamily::raise(const Labels& labels, double value) {
    const auto [it, added] = samples_.emplace(labels, value);
    if (!added) it->second = std::max(it->second, value);
}

std::string MetricFamily::text() const {
    std::string out = fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, escaped(help_, false), name_, type_ == Type::counter ? "counter" : "gauge");
    for (const auto& [labels, value] : samples_) out += fmt::format("{}{} {}\n", name_, label_set(labels), sample_value(value));
    return out;
}

std::string escaped_label_value(std::string_view value) { return escaped(value, true); }

std::string sample_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (value == std::trunc(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<long long>(value));
    return fmt::format("{}", value);
}

std::string exposition(const std::vector<MetricFamily>& families) {
    std::string out;
    for (const MetricFamily& f : families) out += f.text();
    return out;
}

}  // namespace tcpkeep::cli
