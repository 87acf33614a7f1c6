// tcpkeep watch [--json] [--keep-counters]: every TCP connection of the host the kernel aborts for
// a silent peer (keepalive, user timeout, retransmissions, SYN retries), as it happens, with the
// timeline model's prediction beside it. --keep-counters adds each to the pinned counters that
// `audit --prometheus` reports. Runs until SIGINT or SIGTERM; exit 0 then, 2 when it cannot start.
#include <signal.h>

#include <csignal>
#include <cstdio>

#include "system/read_kernel_defaults.h"
#include "tools/commands/commands.h"
#include "tools/monitor/dead_peer_bpf.h"
#include "tools/monitor/dead_peer_event.h"

namespace tcpkeep::cli {
namespace {

volatile std::sig_atomic_t stop_requested = 0;  // NOLINT: set by the signal handler

struct WatchArgs {
    bool json = false;
    bool keep_counters = false;
};

void on_stop_signal(int) { stop_requested = 1; }

int run_watch(const WatchArgs& args) {
    Result<std::unique_ptr<DeadPeerProbe>> probe = start_dead_peer_probe();
    if (!probe) {
        std::fprintf(stderr, "tcpkeep: watch: %s\n", probe.error().message.c_str());
        return exit_error;
    }
    std::unique_ptr<DeadPeerCounters> counters;
    if (args.keep_counters) {
        Result<std::unique_ptr<DeadPeerCounters>> opened = open_dead_peer_counters();
        if (!opened) {
            std::fprintf(stderr, "tcpkeep: watch: %s\n", opened.error().message.c_str());
            return exit_error;
        }
        counters = std::move(*opened);
    }
    struct sigaction action {};
    action.sa_handler = on_stop_signal;  // no SA_RESTART: the poll returns at once
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    const KernelDefaults host = read_kernel_defaults();
    CgroupNames names;
    std::fprintf(stderr, "tcpkeep: watching every TCP connection of this host for dead peers%s\n",
                 args.keep_counters ? "; counting them for audit --prometheus" : "");
    int status = exit_ok;
    const auto on_record = [&](const tk_dead_peer& record) {
        const DeadPeerEvent event = describe(record, names, host);
        if (counters) {
            if (Result<void> added = counters->add(event.unit, dead_cause_name(event.cause), event.silence_ms.value_or(0)); !added)
                std::fprintf(stderr, "tcpkeep: watch: %s\n", added.error().message.c_str());
        }
        std::fputs(args.json ? (to_json(event).dump() + "\n").c_str() : to_text(event).c_str(), stdout);
        std::fflush(stdout);
    };
    while (!stop_requested) {
        if (Result<void> polled = (*probe)->poll(500, on_record); !polled) {
            std::fprintf(stderr, "tcpkeep: watch: %s\n", polled.error().message.c_str());
            status = exit_error;
            break;
        }
    }
    return status;
}

}  // namespace

void add_watch_command(CLI::App& app, int& status) {
    auto* cmd = app.add_subcommand("watch", "Every TCP connection the kernel aborts for a silent peer, as it happens (root, BPF)");
    cmd->footer("Runs until interrupted. Exit status: 0 stopped by SIGINT/SIGTERM, 2 BPF unavailable or not root.");
    auto args = std::make_shared<WatchArgs>();
    cmd->add_flag("--json", args->json, "One JSON object per line (schema: tools/README.md)");
    cmd->add_flag("--keep-counters", args->keep_counters,
                  "Count each by unit and cause in the BPF filesystem (<bpffs>/tcpkeep/dead-peers), for audit --prometheus");
    cmd->callback([&status, args] { status = run_watch(*args); });
}

}  // namespace tcpkeep::cli
