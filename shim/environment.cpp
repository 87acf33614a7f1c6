#include "shim/environment.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sys/auxv.h>

namespace tcpkeep::shim {
namespace {

char policy_copy[PATH_MAX];
char log_level_copy[32];
char log_file_copy[PATH_MAX];
ShimEnvironment captured;
int capture_state = 0;  // 0 not yet, 1 capturing, 2 done

// Copies a variable. A value too long for the buffer is not truncated into another valid value:
// it becomes "" (TCPKEEP_POLICY: a path that cannot be opened; TCPKEEP_LOG: an invalid level).
const char* copy_var(const char* name, char* buf, std::size_t size) {
    const char* value = ::secure_getenv(name);
    if (value == nullptr) return nullptr;
    if (std::strlen(value) >= size) return "";
    std::memcpy(buf, value, std::strlen(value) + 1);
    return buf;
}

void capture() {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&capture_state, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&capture_state, __ATOMIC_ACQUIRE) != 2) {
        }
        return;
    }
    captured.secure = ::getauxval(AT_SECURE) != 0;
    captured.policy = copy_var("TCPKEEP_POLICY", policy_copy, sizeof policy_copy);
    captured.log_level = copy_var("TCPKEEP_LOG", log_level_copy, sizeof log_level_copy);
    captured.log_file = copy_var("TCPKEEP_LOG_FILE", log_file_copy, sizeof log_file_copy);
    __atomic_store_n(&capture_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) void capture_at_load() { capture(); }

}  // namespace

const ShimEnvironment& shim_environment() {
    if (__atomic_load_n(&capture_state, __ATOMIC_ACQUIRE) != 2) capture();
    return captured;
}

}  // namespace tcpkeep::shim
