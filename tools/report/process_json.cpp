#include "tools/report/process_json.h"

#include <cstring>

#include "config/digest.h"
#include "tools/report/explanation.h"
#include "tools/report/option_values.h"

namespace tcpkeep::cli {
namespace {

using json = nlohmann::ordered_json;

const char* direction_source_name(DirectionSource source) {
    switch (source) {
        case DirectionSource::shim: return "shim";
        case DirectionSource::listener: return "listener";
        case DirectionSource::inferred: break;
    }
    return "inferred";
}

json optional_json(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json optional_json(const std::optional<bool>& b) { return b ? json(*b) : json(nullptr); }

json options_json(std::uint8_t mask) {
    json out = json::array();
    for (int i = 0; i < option_count; ++i)
        if ((mask & bit(static_cast<Option>(i))) != 0) out.push_back(json_field(static_cast<Option>(i)));
    return out;
}

const char* engine_name(EngineStatus e) {
    switch (e) {
        case EngineStatus::idle: return "idle";
        case EngineStatus::loading: return "loading";
        case EngineStatus::ready: return "ready";
        case EngineStatus::disabled: break;
    }
    return "disabled";
}

// All five fields; an option outside `s.mask` is null.
json values_json(const Settings& s) {
    json out = json::object();
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (!s.has(o)) {
            out[json_field(o)] = nullptr;
        } else if (o == Option::keepalive) {
            out[json_field(o)] = s.keepalive;
        } else {
            out[json_field(o)] = option_value(o, s);
        }
    }
    return out;
}

json prediction_json(const std::optional<LivePrediction>& p) {
    if (!p) return nullptr;
    return {{"now", case_name(p->now)},
            {"detect_in_ms", p->detect_in_ms ? json(*p->detect_in_ms) : json(nullptr)},
            {"if_sending_ms", p->if_sending_ms},
            {"rto_ms", p->rto_ms},
            {"approximate", p->approximate}};
}

json socket_json(const SocketReport& s) {
    json changes = json::array();
    for (const OptionChange& c : s.changes) {
        changes.push_back(
            {{"option", json_field(c.option)}, {"from", c.from}, {"to", c.to}, {"error", c.error ? json(std::strerror(c.error)) : json(nullptr)}});
    }
    json out{{"fd", s.socket.fd},
             {"state", tcp_state_name(s.socket.entry.state)},
             {"direction", to_string(s.direction)},
             {"local", s.socket.entry.local.to_string()},
             {"remote", s.socket.entry.remote.to_string()},
             {"rule", s.rule.empty() ? json(nullptr) : json(s.rule)},
             {"action", action_name(s.action)},
             {"keepalive_timer", s.socket.keepalive_timer()},
             {"actual", s.actual ? values_json(*s.actual) : json(nullptr)},
             {"expected", values_json(s.expected)},
             {"ok", optional_json(s.ok())},
             {"direction_source", direction_source_name(s.direction_source)},
             {"direction_ambiguous", s.direction_ambiguous},
             {"made_outside_shim", s.made_outside_shim},
             {"program_set", s.program_set ? options_json(*s.program_set) : json(nullptr)},
             {"program_chose", options_json(s.program_chose())},
             {"enforced", options_json(s.enforced)},
             {"dead_peer", prediction_json(s.prediction)}};
    if (!s.changes.empty()) out["changes"] = std::move(changes);
    return out;
}

}  // namespace

json to_json(const ProcessReport& r) {
    json sockets = json::array();
    for (const SocketReport& s : r.sockets) sockets.push_back(socket_json(s));
    return json{{"pid", r.pid},
                {"executable", optional_json(r.executable)},
                {"shim", {{"loaded", r.shim.loaded}, {"path", optional_json(r.shim.path)}, {"why_not", optional_json(r.shim.why_not)}}},
                {"policy", r.policy},
                {"sockets", std::move(sockets)},
                {"missing", optional_json(r.missing)},
                {"ok", optional_json(r.ok())},
                {"runs_as", optional_json(r.runs_as)},
                {"shim_engine", r.engine ? json(engine_name(*r.engine)) : json(nullptr)},
                {"shim_inactive", optional_json(r.shim_inactive)},
                {"policy_origin", r.policy_origin},
                {"policy_view", r.policy_process_view ? "process" : "tool"},
                {"policy_note", r.policy_note.empty() ? json(nullptr) : json(r.policy_note)},
                {"kernel", kernel_json(r.kernel)},
                {"kernel_view", r.kernel_note ? "tool" : "process"},
                {"kernel_note", optional_json(r.kernel_note)},
                {"cgroup_attachment", r.cgroup_attachment ? json{{"cgroup", r.cgroup_attachment->cgroup},
                                                                 {"policy", r.cgroup_attachment->policy},
                                                                 {"digest", r.cgroup_attachment->digest ? digest_hex(*r.cgroup_attachment->digest) : ""},
                                                                 {"pinned", r.cgroup_attachment->pin_directory}}
                                                          : json(nullptr)}};
}

}  // namespace tcpkeep::cli
