#include "shim/log.h"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "shim/environment.h"
#include "shim/real_calls.h"

namespace tcpkeep::shim {
namespace {

int level_cache = -1;  // -1: not parsed yet
unsigned once_done = 0;

void write_line(const char* text, std::size_t n) {
    const ShimEnvironment& env = shim_environment();
    if (env.log_file != nullptr && *env.log_file != '\0') {
        // Opened per line: a daemon may close or reuse any fd we kept, and logging is rare.
        // O_NONBLOCK: a FIFO without a reader (or with a full pipe) fails instead of blocking the program.
        const int fd = ::open(env.log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
        if (fd >= 0) {
            const ssize_t written = ::write(fd, text, n);
            real::close(fd);
            if (written >= 0) return;
        }
        const int saved = errno;
        if ((__atomic_fetch_or(&once_done, 1u << static_cast<unsigned>(Once::log_file), __ATOMIC_RELAXED) &
             (1u << static_cast<unsigned>(Once::log_file))) == 0) {
            char note[512];
            const int m = std::snprintf(note, sizeof note, "tcpkeep[%d]: cannot write TCPKEEP_LOG_FILE=%s: %s; logging to stderr\n",
                                        static_cast<int>(::getpid()), env.log_file, std::strerror(saved));
            if (m > 0) (void)!::write(STDERR_FILENO, note, static_cast<std::size_t>(m) < sizeof note ? static_cast<std::size_t>(m) : sizeof note - 1);
        }
    }
    (void)!::write(STDERR_FILENO, text, n);
}

void vlog(const char* format, va_list args) {
    const int saved_errno = errno;  // logging must never change the program's errno
    char line[1024];
    int n = std::snprintf(line, sizeof line, "tcpkeep[%d]: ", static_cast<int>(::getpid()));
    if (n > 0 && static_cast<std::size_t>(n) < sizeof line) {
        const int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n), format, args);
        if (m > 0) n += m;
    }
    std::size_t len = static_cast<std::size_t>(n) < sizeof line - 1 ? static_cast<std::size_t>(n) : sizeof line - 2;
    line[len++] = '\n';
    write_line(line, len);
    errno = saved_errno;
}

int parse_level() {
    const char* value = shim_environment().log_level;
    if (value == nullptr) return static_cast<int>(LogLevel::warn);
    static const char* const names[] = {"off", "error", "warn", "info", "debug"};
    for (int i = 0; i < 5; ++i)
        if (std::strcmp(value, names[i]) == 0) return i;
    return -2;  // invalid: warn once, then behave as the default
}

}  // namespace

bool log_enabled(LogLevel level) {
    int current = __atomic_load_n(&level_cache, __ATOMIC_RELAXED);
    if (current == -1) {
        current = parse_level();
        if (current == -2) {
            current = static_cast<int>(LogLevel::warn);
            __atomic_store_n(&level_cache, current, __ATOMIC_RELAXED);
            log_once(Once::bad_log_level, LogLevel::warn, "unknown TCPKEEP_LOG value \"%s\" (use off, error, warn, info or debug); using warn",
                     shim_environment().log_level);
        }
        __atomic_store_n(&level_cache, current, __ATOMIC_RELAXED);
    }
    return static_cast<int>(level) <= current && level != LogLevel::off;
}

void log_line(LogLevel level, const char* format, ...) {
    if (!log_enabled(level)) return;
    va_list args;
    va_start(args, format);
    vlog(format, args);
    va_end(args);
}

void log_once(Once kind, LogLevel level, const char* format, ...) {
    if (!log_enabled(level)) return;
    const unsigned bit = 1u << static_cast<unsigned>(kind);
    if ((__atomic_fetch_or(&once_done, bit, __ATOMIC_RELAXED) & bit) != 0) return;
    va_list args;
    va_start(args, format);
    vlog(format, args);
    va_end(args);
}

}  // namespace tcpkeep::shim
