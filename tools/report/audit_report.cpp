#include "tools/report/audit_report.h"

#include <fmt/format.h>
#include <pwd.h>

#include <algorithm>

#include "config/duration.h"
#include "tools/exit_status.h"
#include "tools/report/printable.h"
#include "tools/report/report_table.h"
#include "tools/report/process_json.h"

namespace tcpkeep::cli {
namespace {

using json = nlohmann::ordered_json;

std::string user_name(uid_t uid) {
    const passwd* pw = ::getpwuid(uid);
    return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

const char* coverage(const AuditedProcess& a) {
    if (a.shim_at_work()) return "shim";
    if (a.report.cgroup_attachment) return "cgroup";
    return a.report.shim.loaded ? "inactive" : "none";
}

std::optional<std::string> coverage_reason(const AuditedProcess& a) {
    if (a.covered()) return std::nullopt;
    return a.report.shim_inactive ? a.report.shim_inactive : a.report.shim.why_not;
}

const char* verdict(const ProcessReport& r) {
    const std::optional<bool> ok = r.ok();
    if (r.missing || !ok) return "incomplete";
    if (*ok) return "ok";
    return r.shim_missing() ? "no shim" : "mismatch";
}

std::string worst_text(const AuditedProcess& a) {
    if (!a.worst_ms) return a.unknown ? "?" : "-";
    return *a.worst_ms == never_ms ? "never" : format_duration(*a.worst_ms);
}

struct Totals {
    int sockets = 0, listening = 0, outbound = 0, inbound = 0, by_shim = 0, by_cgroup = 0, above = 0, unknown = 0;
    ProtectionCounts protection{};
};

Totals totals(const HostAudit& audit) {
    Totals t;
    for (const AuditedProcess& a : audit.processes) {
        t.listening += a.listening;
        t.outbound += a.outbound;
        t.inbound += a.inbound;
        t.by_shim += a.shim_at_work();
        t.by_cgroup += !a.shim_at_work() && a.report.cgroup_attachment.has_value();
        t.above += a.above_threshold;
        t.unknown += a.unknown;
        for (std::size_t i = 0; i < t.protection.size(); ++i) t.protection[i] += a.protection[i];
    }
    t.sockets = t.listening + t.outbound + t.inbound;
    return t;
}

std::string count_of(int n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

int count(const ProtectionCounts& c, Protection p) { return c[static_cast<std::size_t>(p)]; }

// "slower than 5min (--worse-than)", or what each connection's policy asks.
std::string threshold_text(const HostAudit& audit) {
    if (!audit.threshold_ms) return "slower than their policy asks";
    return fmt::format("slower than {}", format_duration(*audit.threshold_ms));
}

json protection_json(const ProtectionCounts& c) {
    json out = json::object();
    for (int i = 0; i < protection_count; ++i) out[protection_name(static_cast<Protection>(i))] = c[static_cast<std::size_t>(i)];
    return out;
}

}  // namespace

std::string to_text(const HostAudit& audit, const std::string& threshold_source) {
    const Totals t = totals(audit);
    const int processes = static_cast<int>(audit.processes.size());
    std::string out =
        fmt::format("audit: {} with TCP sockets, {} ({} listening, {} outbound, {} inbound)\n", count_of(processes, "process", "processes"),
                    count_of(t.sockets, "socket", "sockets"), t.listening, t.outbound, t.inbound);
    out += fmt::format("  processes with the shim at work: {}; in cgroup mode: {}; with neither: {}\n", t.by_shim, t.by_cgroup,
                       processes - t.by_shim - t.by_cgroup);
    const ProtectionCounts& c = t.protection;
    out += fmt::format(
        "  connections protected by the shim: {}, by cgroup mode: {}, by the program itself: {}; left alone by a skip rule: {}; "
        "keepalive off: {}{}\n",
        count(c, Protection::shim), count(c, Protection::cgroup), count(c, Protection::program), count(c, Protection::skipped),
        count(c, Protection::unprotected), t.unknown ? fmt::format("; values unknown: {}", t.unknown) : "");
    out += fmt::format("  connections {} to notice a dead idle peer: {} ({}; a skip rule's are not counted)\n", threshold_text(audit), t.above,
                       threshold_source);
    out += fmt::format("  not inspected: {}; exited during the scan: {}\n", audit.not_inspected.size(), audit.exited);
    for (const auto& [netns, counters] : audit.counters) {
        if (!counters) {
            out += fmt::format("  counters of {}: {}\n", netns, counters.error().message);
            continue;
        }
        std::string line;
        for (const auto& [name, value] : *counters) line += fmt::format(" {} {}", name, value);
        out += fmt::format("  counters of {}:{}\n", netns, line);
    }
    if (!audit.processes.empty()) {
        std::vector<Row> rows{{"PID", "USER", "COVERAGE", "LISTEN", "OUT", "IN", "WORST", "VERIFY", "EXECUTABLE"}};
        for (const AuditedProcess& a : audit.processes) {
            const std::optional<std::string> why = coverage_reason(a);
            rows.push_back({std::to_string(a.report.pid), user_name(a.uid), coverage(a), std::to_string(a.listening), std::to_string(a.outbound),
                            std::to_string(a.inbound), worst_text(a), verdict(a.report),
                            printable(a.report.executable.value_or("?") + (why ? fmt::format(" ({})", *why) : ""))});
        }
        out += aligned(rows, "");
    }
    if (!audit.not_inspected.empty()) out += "not inspected:\n";
    for (const NotInspected& n : audit.not_inspected)
        out += fmt::format("  {} ({}): {}\n", n.pid, printable(n.executable.value_or("executable unknown")), printable(n.reason));
    return out;
}

json to_json(const HostAudit& audit, const std::string& threshold_source) {
    const Totals t = totals(audit);
    const int processes = static_cast<int>(audit.processes.size());
    json counters = json::object();
    for (const auto& [netns, c] : audit.counters) {
        if (!c) {
            counters[netns] = {{"error", c.error().message}};
            continue;
        }
        json values = json::object();
        for (const auto& [name, value] : *c) values[name] = value;
        counters[netns] = std::move(values);
    }
    json list = json::array();
    for (const AuditedProcess& a : audit.processes) {
        list.push_back({{"pid", a.report.pid},
                        {"user", user_name(a.uid)},
                        {"uid", a.uid},
                        {"executable", a.report.executable ? json(*a.report.executable) : json(nullptr)},
                        {"netns", a.netns},
                        {"cgroup", a.cgroup},
                        {"coverage", coverage(a)},
                        {"coverage_reason", coverage_reason(a) ? json(*coverage_reason(a)) : json(nullptr)},
                        {"sockets", {{"listening", a.listening}, {"outbound", a.outbound}, {"inbound", a.inbound}}},
                        {"worst_idle_detection_ms", a.worst_ms && *a.worst_ms != never_ms ? json(*a.worst_ms) : json(nullptr)},
                        {"worst_never", a.worst_ms == never_ms},
                        {"worst_unacked_detection_ms", a.worst_busy_ms ? json(*a.worst_busy_ms) : json(nullptr)},
                        {"connections", protection_json(a.protection)},
                        {"above_threshold", a.above_threshold},
                        {"unknown", a.unknown},
                        {"verify", verdict(a.report)},
                        {"report", to_json(a.report)}});
    }
    json skipped = json::array();
    for (const NotInspected& n : audit.not_inspected)
        skipped.push_back({{"pid", n.pid}, {"executable", n.executable ? json(*n.executable) : json(nullptr)}, {"reason", n.reason}});
    return json{{"schema", 1},
                {"threshold_ms", audit.threshold_ms ? json(*audit.threshold_ms) : json(nullptr)},
                {"threshold_source", threshold_source},
                {"summary",
                 {{"processes", processes},
                  {"sockets", t.sockets},
                  {"listening", t.listening},
                  {"outbound", t.outbound},
                  {"inbound", t.inbound},
                  {"covered", t.by_shim + t.by_cgroup},
                  {"covered_by", {{"shim", t.by_shim}, {"cgroup", t.by_cgroup}}},
                  {"uncovered", processes - t.by_shim - t.by_cgroup},
                  {"connections", protection_json(t.protection)},
                  {"above_threshold", t.above},
                  {"unknown", t.unknown},
                  {"cgroup_attachments", audit.attachments ? json(audit.attachments->size()) : json(nullptr)},
                  {"not_inspected", audit.not_inspected.size()},
                  {"exited", audit.exited}}},
                {"counters", std::move(counters)},
                {"processes", std::move(list)},
                {"not_inspected", std::move(skipped)}};
}

int exit_status(const HostAudit& audit) {
    int worst = audit.not_inspected.empty() ? exit_ok : exit_error;
    for (const AuditedProcess& a : audit.processes) {
        worst = std::max(worst, a.report.exit_status());
        if (audit.threshold_ms && a.above_threshold) worst = std::max(worst, exit_findings);
    }
    return worst;
}

}  // namespace tcpkeep::cli
