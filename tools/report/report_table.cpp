#include "tools/report/report_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cstring>

#include "config/duration.h"
#include "tools/report/explanation.h"
#include "tools/report/option_values.h"
#include "tools/report/printable.h"

namespace tcpkeep::cli {
namespace {

// "60s", or "2h (want 1min)" when the policy wants another value, "?" when unknown.
std::string value_cell(const SocketReport& s, Option o) {
    if (!s.actual) return s.expected.has(o) ? fmt::format("? (want {})", format_option(o, option_value(o, s.expected))) : "?";
    const std::int32_t actual = option_value(o, *s.actual);
    if (!s.expected.has(o) || option_value(o, s.expected) == actual) return format_option(o, actual);
    if ((s.program_chose() & bit(o)) != 0)
        return fmt::format("{} (program's own; policy {})", format_option(o, actual), format_option(o, option_value(o, s.expected)));
    return fmt::format("{} (want {})", format_option(o, actual), format_option(o, option_value(o, s.expected)));
}

// "119.87s (idle)", "~29.4s (busy)", "never (idle, keepalive off)"; "-" when not predicted.
std::string dead_peer_cell(const SocketReport& s) {
    if (!s.prediction) return "-";
    const LivePrediction& p = *s.prediction;
    if (!p.detect_in_ms) return "never (idle, keepalive off)";
    return fmt::format("{}{} ({})", p.approximate ? "~" : "", format_seconds(*p.detect_in_ms), case_name(p.now));
}

std::string ok_cell(const SocketReport& s) {
    const std::optional<bool> ok = s.ok();
    return !ok ? "?" : *ok ? "yes" : "NO";
}

std::string changes_text(const ProcessReport& r, bool dry_run) {
    std::string out;
    for (const SocketReport& s : r.sockets) {
        if (s.changes.empty()) continue;
        std::vector<std::string> parts;
        for (const OptionChange& c : s.changes)
            parts.push_back(fmt::format("{} {} -> {}{}", option_key(c.option), format_option(c.option, c.from), format_option(c.option, c.to),
                                        c.error ? fmt::format(" FAILED: {}", std::strerror(c.error)) : ""));
        out += fmt::format("  {} fd {}: {}\n", dry_run ? "would set" : "set", s.socket.fd, fmt::join(parts, ", "));
    }
    return out;
}

std::string verdict_text(const ProcessReport& r) {
    std::size_t differ = 0;
    for (const SocketReport& s : r.sockets) differ += s.ok() == false;
    std::string out;
    if (r.missing) out += fmt::format("  INCOMPLETE: {}\n", printable(*r.missing));
    if (differ)
        out += fmt::format("  MISMATCH: {} of {} socket{} differ{} from the policy\n", differ, r.sockets.size(), r.sockets.size() == 1 ? "" : "s",
                           differ == 1 ? "s" : "");
    if (r.shim_missing())
        out += fmt::format("  NO SHIM{}: new sockets will not get the policy's values; `tcpkeep apply --pid {}` sets the existing ones\n",
                           r.shim.loaded ? " AT WORK" : "", r.pid);
    if (!r.judge_shim && (!r.shim.loaded || r.shim_inactive) && r.policy_applies)
        out += "  note: no working shim in this process: sockets it opens from now on will not get the policy's values\n";
    const bool program_unknown = std::any_of(r.sockets.begin(), r.sockets.end(), [](const SocketReport& s) { return !s.program_set; });
    if (!r.judge_shim && program_unknown && !r.sockets.empty())
        out +=
            "  note: no shim record of what the program set itself on these sockets: every value that differs from the policy is "
            "treated as the policy's to set\n";
    std::size_t own = 0;
    for (const SocketReport& s : r.sockets) own += s.program_chose() != 0;
    if (own != 0)
        out += fmt::format(
            "  note: on {} socket{} the program set some options itself; the policy lets it ({} leaves them, "
            "as apply does; `enforce = true` in the rule overrides)\n",
            own, own == 1 ? "" : "s", r.shim.loaded || !r.cgroup_attachment ? "the shim" : "cgroup mode");
    std::vector<int> outside;
    for (const SocketReport& s : r.sockets)
        if (s.made_outside_shim) outside.push_back(s.socket.fd);
    if (!outside.empty())
        out += fmt::format(
            "  note: fd {} {} not made through the shim (inherited from the process that started this one, or made with raw system "
            "calls): judged by {} values; the shim sets the sockets the process makes from now on\n",
            fmt::join(outside, ", "), outside.size() == 1 ? "was" : "were", outside.size() == 1 ? "its" : "their");
    std::vector<int> ambiguous;
    for (const SocketReport& s : r.sockets)
        if (s.direction_ambiguous) ambiguous.push_back(s.socket.fd);
    if (!ambiguous.empty())
        out += fmt::format(
            "  note: the direction of fd {} is only inferred from its ports (no shim record, no listener on its address and port), "
            "and the policy decides inbound and outbound differently{}\n",
            fmt::join(ambiguous, ", "), r.judge_shim ? "" : ": apply leaves it unchanged");
    if (r.ok() == true && r.sockets.empty()) out += "  ok: no TCP sockets\n";
    if (r.ok() == true && !r.sockets.empty())
        out += fmt::format("  ok: {} socket{} agree{} with the policy\n", r.sockets.size(), r.sockets.size() == 1 ? "" : "s",
                           r.sockets.size() == 1 ? "s" : "");
    return out;
}

}  // namespace

std::string aligned(const std::vector<Row>& rows, std::string_view indent) {
    std::vector<std::size_t> width;
    for (const Row& r : rows) {
        width.resize(std::max(width.size(), r.size()));
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::string out;
    for (const Row& r : rows) {
        std::string line(indent);
        for (std::size_t i = 0; i < r.size(); ++i) line += i + 1 < r.size() ? fmt::format("{:<{}}  ", r[i], width[i]) : r[i];
        out += line + "\n";
    }
    return out;
}

std::string to_table(const ProcessReport& r, bool dry_run) {
    std::string out = fmt::format("process {} ({}{})\n", r.pid, printable(r.executable.value_or("executable unknown")),
                                  r.runs_as ? fmt::format(", running as {}", printable(*r.runs_as)) : "");
    if (!r.shim.loaded) {
        out += fmt::format("  shim:   not loaded: {}{}\n", printable(r.shim.why_not.value_or("unknown")),
                           r.cgroup_attachment ? "; not needed: cgroup mode gives the policy" : "");
    } else if (r.shim_inactive) {
        out += fmt::format("  shim:   loaded ({}) but inactive: {}\n", printable(r.shim.path.value_or("?")), printable(*r.shim_inactive));
    } else {
        out += fmt::format("  shim:   loaded ({})\n", printable(r.shim.path.value_or("?")));
    }
    if (r.cgroup_attachment)
        out += fmt::format("  cgroup: {} carries a tcpkeep attachment (policy {}): the kernel gives it to new sockets\n",
                           printable(r.cgroup_attachment->cgroup), printable(r.cgroup_attachment->policy));
    out += fmt::format("  policy: {}{}{}\n", printable(r.policy), r.policy_origin == "shim" ? " (loaded by the shim" : "",
                       r.policy_origin != "shim" ? ""
                       : r.policy_process_view   ? ", read in the process's mount namespace)"
                                                 : ")");
    if (!r.policy_note.empty()) out += fmt::format("          {}\n", printable(r.policy_note));
    out += fmt::format("  sysctls: {} ({})\n", kernel_text(r.kernel), r.kernel_note ? printable(*r.kernel_note) : "its network namespace");
    if (r.sockets.empty()) {
        out += "  no TCP sockets\n";
    } else {
        std::vector<Row> rows{{"FD", "STATE", "DIRECTION", "LOCAL", "REMOTE", "RULE", "KEEPALIVE", "IDLE", "INTERVAL", "COUNT", "USER_TIMEOUT",
                               "DEAD PEER NOTICED IN", "OK"}};
        if (r.missing) rows[0].insert(rows[0].end() - 1, "TIMER");
        for (const SocketReport& s : r.sockets) {
            Row row{std::to_string(s.socket.fd),
                    tcp_state_name(s.socket.entry.state),
                    to_string(s.direction),
                    s.socket.entry.local.to_string(),
                    s.socket.entry.remote.to_string(),
                    s.action == Verdict::Kind::skip ? fmt::format("{} (skip)", printable(s.rule))
                    : s.rule.empty()                ? "-"
                                                    : printable(s.rule)};
            for (int i = 0; i < option_count; ++i) row.push_back(value_cell(s, static_cast<Option>(i)));
            row.push_back(dead_peer_cell(s));
            if (r.missing) row.push_back(s.socket.keepalive_timer() ? "keepalive" : "-");
            row.push_back(ok_cell(s));
            rows.push_back(std::move(row));
        }
        out += aligned(rows, "  ");
    }
    return out + changes_text(r, dry_run) + verdict_text(r);
}

}  // namespace tcpkeep::cli
