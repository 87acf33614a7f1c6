#include "tools/elf/elf_linking.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace tcpkeep::cli {
namespace {

bool read_at(int fd, void* out, std::size_t size, off_t offset) { return ::pread(fd, out, size, offset) == static_cast<ssize_t>(size); }

// Ehdr/Phdr are Elf32_* or Elf64_*: the same walk for both classes.
template <typename Ehdr, typename Phdr>
Linking walk_program_headers(int fd) {
    Ehdr header{};
    if (!read_at(fd, &header, sizeof header, 0) || header.e_phentsize != sizeof(Phdr)) return Linking::not_elf;
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        Phdr ph{};
        if (!read_at(fd, &ph, sizeof ph, static_cast<off_t>(header.e_phoff + i * sizeof(Phdr)))) return Linking::not_elf;
        if (ph.p_type == PT_INTERP) return Linking::dynamic;
    }
    return Linking::static_executable;
}

}  // namespace

Result<Linking> executable_linking(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        return Error{std::strerror(error), error};
    }
    unsigned char ident[EI_NIDENT] = {};
    Linking result = Linking::not_elf;
    if (read_at(fd, ident, sizeof ident, 0) && std::memcmp(ident, ELFMAG, SELFMAG) == 0) {
        if (ident[EI_CLASS] == ELFCLASS64) result = walk_program_headers<Elf64_Ehdr, Elf64_Phdr>(fd);
        if (ident[EI_CLASS] == ELFCLASS32) result = walk_program_headers<Elf32_Ehdr, Elf32_Phdr>(fd);
    }
    ::close(fd);
    return result;
}

}  // namespace tcpkeep::cli
