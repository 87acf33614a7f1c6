#include "shim/real_calls.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/next_definition.h"

namespace tcpkeep::real {
namespace {

// Fallbacks when neither next_definition nor dlsym(RTLD_NEXT) can find libc's symbol (never seen, but never crash).
int raw_socket(int domain, int type, int protocol) { return static_cast<int>(::syscall(SYS_socket, domain, type, protocol)); }
int raw_connect(int fd, const sockaddr* a, socklen_t l) { return static_cast<int>(::syscall(SYS_connect, fd, a, l)); }
int raw_listen(int fd, int backlog) { return static_cast<int>(::syscall(SYS_listen, fd, backlog)); }
int raw_accept(int fd, sockaddr* a, socklen_t* l) { return static_cast<int>(::syscall(SYS_accept4, fd, a, l, 0)); }
int raw_accept4(int fd, sockaddr* a, socklen_t* l, int f) { return static_cast<int>(::syscall(SYS_accept4, fd, a, l, f)); }
int raw_setsockopt(int fd, int lv, int n, const void* v, socklen_t l) { return static_cast<int>(::syscall(SYS_setsockopt, fd, lv, n, v, l)); }
ssize_t raw_sendto(int fd, const void* b, size_t n, int f, const sockaddr* a, socklen_t l) { return ::syscall(SYS_sendto, fd, b, n, f, a, l); }
ssize_t raw_sendmsg(int fd, const msghdr* m, int f) { return ::syscall(SYS_sendmsg, fd, m, f); }
int raw_close(int fd) { return static_cast<int>(::syscall(SYS_close, fd)); }
int raw_dup(int fd) { return static_cast<int>(::syscall(SYS_dup, fd)); }
int raw_dup3(int fd, int to, int flags) { return static_cast<int>(::syscall(SYS_dup3, fd, to, flags)); }
int raw_dup2(int fd, int to) {  // dup3 refuses fd == to, which dup2 answers with to when fd is open
    if (fd == to) return ::syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -1 : to;
    return raw_dup3(fd, to, 0);
}

// The first call of each: find the next definition once (dlsym, then a raw syscall, as fallbacks).
template <typename Fn>
Fn resolve(Fn& next, const char* name, Fn fallback) {
    Fn fn = reinterpret_cast<Fn>(next_definition(name));
    if (fn == nullptr) fn = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
    if (fn == nullptr) fn = fallback;
    __atomic_store_n(&next, fn, __ATOMIC_RELEASE);
    return fn;
}

}  // namespace

// Every later call is one load and a jump with the arguments still in their registers: both paths
// are tail calls, so nothing is saved around them (a shared out-of-line resolver made each call save
// and restore its arguments: ~25 instructions, ~250 per connection).
#define TCPKEEP_DEFINE_REAL(ret, name, params, args)                                                               \
    namespace {                                                                                                    \
    ret(*name##_next) params = nullptr;                                                                            \
    [[gnu::noinline, gnu::cold]] ret name##_first params { return resolve(name##_next, #name, &raw_##name) args; } \
    }                                                                                                              \
    ret name params {                                                                                              \
        const auto fn = __atomic_load_n(&name##_next, __ATOMIC_ACQUIRE);                                           \
        return __builtin_expect(fn != nullptr, 1) ? fn args : name##_first args;                                   \
    }
TCPKEEP_HOOKED_CALLS(TCPKEEP_DEFINE_REAL)
#undef TCPKEEP_DEFINE_REAL

int getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
    return static_cast<int>(::syscall(SYS_getsockopt, fd, level, name, value, len));
}

int getsockname(int fd, sockaddr* addr, socklen_t* len) { return static_cast<int>(::syscall(SYS_getsockname, fd, addr, len)); }

int getpeername(int fd, sockaddr* addr, socklen_t* len) { return static_cast<int>(::syscall(SYS_getpeername, fd, addr, len)); }

}  // namespace tcpkeep::real
