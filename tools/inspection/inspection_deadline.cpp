#include "tools/inspection/inspection_deadline.h"

#include <fmt/format.h>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <stdexcept>
#include <string>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "tools/inspection/target_error.h"

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
    // What went wrong, as text: an exception object is never shared between the two threads
    // (its reference count lives in libstdc++, where ThreadSanitizer cannot see it synchronised).
    std::optional<std::string> target_error;  // a TargetError's message
    std::optional<std::string> failure;       // any other exception's
};

}  // namespace

ProcessReport inspect_within_deadline(pid_t pid, const InspectRequest& request) {
    auto job = std::make_shared<Inspection>();
    job->request = request;
    if (request.overrides != nullptr) job->request.overrides = &job->overrides.emplace(*request.overrides);
    if (request.tcp != nullptr) job->request.tcp = &job->tcp.emplace(*request.tcp);
    std::thread([job, pid] {
        std::optional<ProcessReport> report;
        std::optional<std::string> target_error;
        std::optional<std::string> failure;
        try {
            report = inspect_process(pid, job->request);
        } catch (const TargetError& e) {
            target_error = e.what();
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "an unknown error";
        }
        const std::lock_guard held(job->lock);
        job->report = std::move(report);
        job->target_error = std::move(target_error);
        job->failure = std::move(failure);
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
    if (job->target_error) throw TargetError(*job->target_error);
    if (job->failure) throw std::runtime_error(*job->failure);
    return std::move(*job->report);
}

bool inspection_abandoned() { return abandoned; }

}  // namespace tcpkeep::cli
