// A target's inspection, bounded in time. A process can make reads of its /proc files and its
// memory wait (a mapping served by a FUSE file system it runs, a file system that does not answer);
// the tool gives each target a deadline instead, reports it as not inspected, and goes on with the
// next one: a whole-host audit always finishes.
#pragma once
#include <sys/types.h>
#include <chrono>

#include "tools/inspection/process_inspection.h"

namespace tcpkeep::cli {

inline constexpr std::chrono::seconds inspection_deadline{10};

// inspect_process in a thread of its own, waited for at most inspection_deadline. Throws what
// inspect_process throws, and a TargetError when the deadline passed.
ProcessReport inspect_within_deadline(pid_t pid, const InspectRequest& request);

// True once an inspection was left behind at its deadline: its thread may still wait in the
// kernel, so the tool must end with _exit, not run static destructors under it.
bool inspection_abandoned();

}  // namespace tcpkeep::cli
