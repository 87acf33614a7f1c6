#include "tools/process/inspection_deadline.h"

#include <fmt/format.h>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "tools/process/target_error.h"

namespace tcpkeep::cli {
namespace {

std::atomic<bool> abandoned{false};

// Everything the inspection thread uses, owned jointly: a thread left behind at the deadline
// still finds its inputs alive if it ever wakes up.
struct Inspection {
    InspectRequest request;
    std::optional<Overrides> overrides;
    std::optional<ProcessTcp> tcp;
    std::mutex lock;
    std::condition_variable finished;
    bool done = false;
    std::optional<ProcessReport> report;
    std::exception_ptr failure;
};

}  // namespace

ProcessReport inspect_within_deadline(pid_t pid, const InspectRequest& request) {
    auto job = std::make_shared<Inspection>();
    job->request = request;
    if (request.overrides != nullptr) job->request.overrides = &job->overrides.emplace(*request.overrides);
    if (request.tcp != nullptr) job->request.tcp = &job->tcp.emplace(*request.tcp);
    std::thread([job, pid] {
        std::optional<ProcessReport> report;
        std::exception_ptr failure;
        try {
            report = inspect_process(pid, job->request);
        } catch (...) {
            failure = std::current_exception();
        }
        const std::lock_guard held(job->lock);
        job->report = std::move(report);
        job->failure = failure;
        job->done = true;
        job->finished.notify_all();
    }).detach();
    std::unique_lock held(job->lock);
    if (!job->finished.wait_for(held, inspection_deadline, [&] { return job->done; })) {
        abandoned = true;
        throw TargetError(
            fmt::format("process {}: not inspected: no answer within {} s (reads of its /proc files or memory wait: a mapping "
                        "served by a FUSE file system, or a file system that does not answer)",
                        pid, inspection_deadline.count()));
    }
    if (job->failure) std::rethrow_exception(job->failure);
    return std::move(*job->report);
}

bool inspection_abandoned() { return abandoned; }

}  // namespace tcpkeep::cli
