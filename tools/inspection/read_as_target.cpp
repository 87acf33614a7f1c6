#include "tools/inspection/read_as_target.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

#include "system/unique_fd.h"
#include "tools/inspection/process_facts.h"

namespace tcpkeep::cli {
namespace {

constexpr std::size_t max_message_bytes = 4096;  // an error's sentence, whatever the limit on text

// What the child sends: this header, then `length` bytes (the text, or the error's message).
struct ChildAnswer {
    std::uint32_t ok = 0;
    std::int32_t code = 0;
    std::uint64_t length = 0;
};

bool write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::write(fd, bytes, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

[[noreturn]] void child_main(int root, int out, const TargetCredentials* as, const TargetWork& work) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the tool
    Result<std::string> result = Error{"out of memory"};
    try {
        const Result<void> became = as != nullptr ? become(*as) : Result<void>{};
        result = became ? work(fmt::format("/proc/self/fd/{}", root))
                        : Error{fmt::format("cannot take on the process's credentials: {}", became.error().message), became.error().code};
    } catch (...) {
    }
    const std::string& payload = result ? *result : result.error().message;
    const ChildAnswer answer{result ? 1u : 0u, result ? 0 : result.error().code, payload.size()};
    const bool sent = write_all(out, &answer, sizeof answer) && write_all(out, payload.data(), payload.size());
    ::_exit(sent ? 0 : 1);
}

// Waits for the child to end, killing it first when asked; gives up on one that does not die
// within a second (stuck where even SIGKILL waits): it is left to init.
void reap(pid_t child, bool kill) {
    if (kill) ::kill(child, SIGKILL);
    for (int waited_ms = 0; waited_ms < 1000; waited_ms += 10) {
        const pid_t done = ::waitpid(child, nullptr, WNOHANG);
        if (done == child || (done < 0 && errno != EINTR)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// Everything the child writes until it closes the pipe, at most `limit` bytes, by the deadline.
Result<std::string> collect(int fd, std::size_t limit) {
    std::string data;
    const auto until = std::chrono::steady_clock::now() + target_read_deadline;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
        pollfd p{fd, POLLIN, 0};
        const int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0)
            return Error{
                fmt::format("no answer within {} s (a file system that does not answer, e.g. a FUSE mount)", target_read_deadline.count() / 1000),
                ETIMEDOUT};
        char buf[65536];
        const ssize_t n = ready < 0 ? -1 : ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error{std::strerror(errno), errno};
        if (n == 0) return data;
        data.append(buf, static_cast<std::size_t>(n));
        if (data.size() > sizeof(ChildAnswer) + std::max<std::size_t>(limit, max_message_bytes))
            return Error{"the answer is larger than the limit", EFBIG};
    }
}

Result<std::string> decode(const std::string& data) {
    ChildAnswer answer;
    if (data.size() < sizeof answer) return Error{"the reading child died before it answered", EIO};
    std::memcpy(&answer, data.data(), sizeof answer);
    if (answer.length != data.size() - sizeof answer) return Error{"the reading child's answer was cut short", EIO};
    std::string payload = data.substr(sizeof answer);
    if (answer.ok == 0) return Error{std::move(payload), answer.code};
    return payload;
}

}  // namespace

Result<std::string> run_for_target(pid_t pid, const TargetCredentials* as, const TargetWork& work, std::size_t limit) {
    const std::string root_path = proc_path(pid, "root");
    UniqueFd root(::open(root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) return Error{fmt::format("{}: {}", root_path, std::strerror(errno)), errno};
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) return Error{fmt::format("pipe: {}", std::strerror(errno)), errno};
    UniqueFd reader(ends[0]);
    UniqueFd writer(ends[1]);
    const pid_t child = ::fork();
    if (child < 0) return Error{fmt::format("fork: {}", std::strerror(errno)), errno};
    if (child == 0) child_main(root.get(), writer.get(), as, work);
    writer = UniqueFd();
    const Result<std::string> data = collect(reader.get(), limit);
    reap(child, !data);
    if (!data) return data.error();
    return decode(*data);
}

}  // namespace tcpkeep::cli
