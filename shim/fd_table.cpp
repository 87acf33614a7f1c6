#include "shim/fd_table.h"

#include <sys/mman.h>
#include <cerrno>

namespace tcpkeep::shim::fd_storage {
namespace {

// Storage that costs nothing in processes that never open a socket: the low fds (those of most
// programs) in 2 KiB of .bss, small enough to share the page the loader zeroes anyway (a larger
// .bss is an extra mapping in every process: tests/shim/test_syscall_budget.py); every other fd
// in chunks of 65,536 mapped on first use, 512 KiB of address space of which only the pages of
// fds in use become resident.
constexpr int chunk_bits = published_chunk_bits;
constexpr int chunk_size = 1 << chunk_bits;         // fds per chunk
constexpr int chunk_count = published_chunk_count;  // 65,536 x 64 = 2^22 fds

}  // namespace

std::uint64_t* chunk_slot(int fd, bool create) {
    if (fd < static_fds || fd >= chunk_size * chunk_count) return nullptr;
    std::uint64_t*& chunk_ref = published.chunks[fd >> chunk_bits];
    std::uint64_t* chunk = __atomic_load_n(&chunk_ref, __ATOMIC_ACQUIRE);
    if (chunk == nullptr) {
        if (!create) return nullptr;
        const int saved_errno = errno;  // the only call here that can set it; the program's errno stays
        void* mem = ::mmap(nullptr, sizeof(std::uint64_t) * chunk_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) {
            errno = saved_errno;
            return nullptr;
        }
        std::uint64_t* expected = nullptr;
        if (!__atomic_compare_exchange_n(&chunk_ref, &expected, static_cast<std::uint64_t*>(mem), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            ::munmap(mem, sizeof(std::uint64_t) * chunk_size);  // another thread won the race
            chunk = expected;
        } else {
            chunk = static_cast<std::uint64_t*>(mem);
        }
    }
    return chunk + (fd & (chunk_size - 1));
}

}  // namespace tcpkeep::shim::fd_storage
