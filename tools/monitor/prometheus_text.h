// The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads it:
// per metric family a HELP and a TYPE line, then its samples, each series once.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpkeep::cli {

using Labels = std::vector<std::pair<std::string, std::string>>;  // name, value; in this order

class MetricFamily {
public:
    enum class Type { gauge, counter };
    MetricFamily(std::string name, Type type, std::string help) : name_(std::move(name)), type_(type), help_(std::move(help)) {}

    // Adds `value` to the series (a new series starts at 0).
    void add(const Labels& labels, double value);
    // The series is the larger of its value and `value`.
    void raise(const Labels& labels, double value);
    void set(const Labels& labels, double value) { samples_[labels] = value; }

    [[nodiscard]] std::string text() const;

private:
    std::string name_;
    Type type_;
    std::string help_;
    std::map<Labels, double> samples_;
};

// A label value as the format quotes it: backslash, double quote and line feed escaped.
std::string escaped_label_value(std::string_view value);
// A sample value: integers without a fraction, +Inf/-Inf/NaN by name.
std::string sample_value(double value);

std::string exposition(const std::vector<MetricFamily>& families);

}  // namespace tcpkeep::cli
