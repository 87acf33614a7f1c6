#include "shim/environment.h"

#include <sys/auxv.h>
#include <sys/mman.h>
#include <cerrno>
#include <climits>

#include "shim/publication.h"

extern char** environ;

namespace tcpkeep::shim {
namespace {

// Copies taken by the constructor, before the program can clear or overwrite its environment
// (some daemons reuse the environment's memory for their process title). They live in a mapping
// made only when a TCPKEEP_ variable is set: as static storage they would be .bss, which the
// loader maps and zeroes in every process, with or without the variables.
struct Copies {
    char policy[PATH_MAX];
    char log_file[PATH_MAX];
    char log_level[32];
};
Copies* copies = nullptr;
const char* policy_seen = nullptr;
bool policy_too_long = false;
const char* log_level_seen = nullptr;
const char* log_file_seen = nullptr;
int scan_state = 0;  // 0 not yet, 1 scanning, 2 done
ShimEnvironment view;
int view_state = 0;  // 0 not yet, 1 building, 2 done

// No libc calls here unless a TCPKEEP_ variable is set: this runs in every process the shim is
// loaded into, and each first call of a libc function costs a symbol lookup. A value too long for its buffer is not truncated
// into another valid value: it becomes "" (an unopenable policy path, an invalid log level).
const char* copy_value(const char* value, char* buf, unsigned size) {
    unsigned n = 0;
    while (value[n] != '\0' && n + 1 < size) {
        buf[n] = value[n];
        ++n;
    }
    buf[value[n] == '\0' ? n : 0] = '\0';
    return buf;
}

// Where the copies go; nullptr when no memory could be mapped (the environment's own memory is
// then used: right unless the program overwrites it before its first TCP socket).
Copies* copy_space() {
    if (copies == nullptr) {
        const int saved_errno = errno;  // the scan may run inside a hook (before our constructor)
        void* mem = ::mmap(nullptr, sizeof(Copies), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        copies = mem == MAP_FAILED ? nullptr : static_cast<Copies*>(mem);
        errno = saved_errno;
    }
    return copies;
}

template <unsigned N>
const char* keep(const char* value, char (Copies::*buf)[N]) {
    Copies* space = copy_space();
    return space == nullptr ? value : copy_value(value, space->*buf, N);
}

// If `entry` is "NAME=value", the value; else nullptr.
const char* value_of(const char* entry, const char* name) {
    while (*name != '\0' && *entry == *name) ++entry, ++name;
    return *name == '\0' && *entry == '=' ? entry + 1 : nullptr;
}

void scan() {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&scan_state, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&scan_state, __ATOMIC_ACQUIRE) != 2) {
        }
        return;
    }
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if ((*e)[0] != 'T') continue;  // almost every variable: one comparison
        const char* rest = *e;
        const char* prefix = "TCPKEEP_";
        while (*prefix != '\0' && *rest == *prefix) ++rest, ++prefix;
        if (*prefix != '\0') continue;
        if (const char* v = value_of(rest, "POLICY")) {
            policy_seen = keep(v, &Copies::policy);
            policy_too_long = *policy_seen == '\0' && *v != '\0';
            published.environment_policy = policy_seen;  // verify reads it: the program may overwrite its environ
        }
        if (const char* v = value_of(rest, "LOG")) log_level_seen = keep(v, &Copies::log_level);
        if (const char* v = value_of(rest, "LOG_FILE")) log_file_seen = keep(v, &Copies::log_file);
    }
    __atomic_store_n(&scan_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) void scan_at_load() { scan(); }

}  // namespace

const ShimEnvironment& shim_environment() {
    if (__atomic_load_n(&view_state, __ATOMIC_ACQUIRE) == 2) return view;
    int expected = 0;
    if (__atomic_compare_exchange_n(&view_state, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (__atomic_load_n(&scan_state, __ATOMIC_ACQUIRE) != 2) scan();  // a hook before our constructor
        // Setuid/setgid programs (AT_SECURE): every variable is ignored; only the system policy counts.
        view.secure = ::getauxval(AT_SECURE) != 0;
        if (!view.secure) {
            view.policy = policy_seen;
            view.policy_too_long = policy_too_long;
            view.log_level = log_level_seen;
            view.log_file = log_file_seen;
        }
        __atomic_store_n(&view_state, 2, __ATOMIC_RELEASE);
    } else {
        while (__atomic_load_n(&view_state, __ATOMIC_ACQUIRE) != 2) {
        }
    }
    return view;
}

}  // namespace tcpkeep::shim
