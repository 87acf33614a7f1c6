// The shim's only output: lines "tcpkeep[PID]: ..." on stderr or appended to TCPKEEP_LOG_FILE.
// Never stdout. TCPKEEP_LOG=off|error|warn|info|debug (default warn).
#pragma once

namespace tcpkeep::shim {

enum class LogLevel { off = 0, error = 1, warn = 2, info = 3, debug = 4 };

bool log_enabled(LogLevel level);
void log_line(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Kinds of problem reported once per process however often they happen.
enum class Once : unsigned { setsockopt_failed_0, setsockopt_failed_last = setsockopt_failed_0 + 4, engine_wait, bad_log_level, log_file };
void log_once(Once kind, LogLevel level, const char* format, ...) __attribute__((format(printf, 3, 4)));

}  // namespace tcpkeep::shim
