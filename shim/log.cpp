#include "shim/log.h"

#include <unistd.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "shim/environment.h"
#include "shim/log_file.h"
#include "shim/real_calls.h"

namespace tcpkeep::shim {
namespace {

int level_cache = -1;  // -1: not parsed yet
unsigned once_done = 0;
constexpr std::size_t line_size = 1024;

// The code point's encoding length when `p` starts a well-formed UTF-8 sequence of a printable
// character (U+00A0 and above: no C1 control), else 0.
std::size_t printable_utf8_length(const unsigned char* p, std::size_t left) {
    std::size_t length = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    if (length == 0 || length > left) return 0;
    unsigned code = p[0] & (0x7F >> length);
    for (std::size_t i = 1; i < length; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        code = code << 6 | (p[i] & 0x3F);
    }
    constexpr unsigned shortest[] = {0, 0, 0x80, 0x800, 0x10000};  // smaller: an overlong encoding
    const bool fine = code >= shortest[length] && code >= 0xA0 && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    return fine ? length : 0;
}

// `text` with every byte that could end the line, move a terminal's cursor or retitle it written
// as \xNN: C0 and C1 controls, DEL, bytes that are not UTF-8. Printable text stays as it is, a
// backslash too, so a message quoted from the policy reader reads as `tcpkeep check` prints it.
// Stops before an escape that would not fit.
std::size_t escape(const char* text, std::size_t n, char* out, std::size_t size) {
    const auto* in = reinterpret_cast<const unsigned char*>(text);
    std::size_t o = 0;
    for (std::size_t i = 0; i < n;) {
        const std::size_t keep = in[i] >= 0x20 && in[i] < 0x7F ? 1 : printable_utf8_length(in + i, n - i);
        if (keep > 0) {
            if (o + keep > size) break;
            std::memcpy(out + o, in + i, keep);
            o += keep;
            i += keep;
            continue;
        }
        if (o + 4 > size) break;
        static constexpr char hex[] = "0123456789abcdef";
        const char escaped[4] = {'\\', 'x', hex[in[i] >> 4], hex[in[i] & 0xF]};
        std::memcpy(out + o, escaped, sizeof escaped);
        o += sizeof escaped;
        ++i;
    }
    return o;
}

// One line, escaped, with its newline, in one write (O_APPEND keeps concurrent writers' lines whole).
bool write_escaped(int fd, const char* text, std::size_t n) {
    char out[2 * line_size];
    std::size_t length = escape(text, n, out, sizeof out - 1);
    out[length++] = '\n';
    return ::write(fd, out, length) >= 0;
}

// "tcpkeep[PID]: " and the message, cut to the line's size.
std::size_t format_line(char (&line)[line_size], const char* format, va_list args) {
    int n = std::snprintf(line, sizeof line, "tcpkeep[%d]: ", static_cast<int>(::getpid()));
    if (n > 0 && static_cast<std::size_t>(n) < sizeof line) {
        const int m = std::vsnprintf(line + n, sizeof line - static_cast<std::size_t>(n), format, args);
        if (m > 0) n += m;
    }
    return n < 0 ? 0 : static_cast<std::size_t>(n) < sizeof line ? static_cast<std::size_t>(n) : sizeof line - 1;
}

void write_formatted(int fd, const char* format, ...) __attribute__((format(printf, 2, 3)));
void write_formatted(int fd, const char* format, ...) {
    char line[line_size];
    va_list args;
    va_start(args, format);
    const std::size_t n = format_line(line, format, args);
    va_end(args);
    (void)write_escaped(fd, line, n);
}

// Once per process, on stderr: why the lines go there instead of TCPKEEP_LOG_FILE.
void note_log_file_refused(const char* path, const char* why) {
    const unsigned bit = 1u << static_cast<unsigned>(Once::log_file);
    if ((__atomic_fetch_or(&once_done, bit, __ATOMIC_RELAXED) & bit) != 0) return;
    write_formatted(STDERR_FILENO, "cannot write TCPKEEP_LOG_FILE=%s: %s; logging to stderr", path, why);
}

// Appends to TCPKEEP_LOG_FILE when it is set and safe to write (shim/log_file.h), else stderr.
// Opened per line: a daemon may close or reuse any fd we kept, and logging is rare.
void write_line(const char* text, std::size_t n) {
    const char* path = shim_environment().log_file;
    if (path != nullptr && *path != '\0') {
        const LogFile file = open_log_file(path);
        if (file.fd >= 0) {
            const bool written = write_escaped(file.fd, text, n);
            const int error = errno;
            real::close(file.fd);
            if (written) return;
            note_log_file_refused(path, std::strerror(error));
        } else {
            note_log_file_refused(path, file.refused != nullptr ? file.refused : std::strerror(file.error));
        }
    }
    (void)write_escaped(STDERR_FILENO, text, n);
}

void vlog(const char* format, va_list args) {
    const int saved_errno = errno;  // logging must never change the program's errno
    char line[line_size];
    const std::size_t n = format_line(line, format, args);
    write_line(line, n);
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
