#include "tools/elf/elf_image.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <vector>

#include "system/unique_fd.h"

namespace tcpkeep::cli {
namespace {

template <typename T>
bool read_at(int fd, T& out, std::uint64_t offset) {
    return ::pread(fd, &out, sizeof out, static_cast<off_t>(offset)) == static_cast<ssize_t>(sizeof out);
}

// Every table read is bounded, whatever the file's headers claim: the file may be a hostile
// process's (a library it mapped under the shim's name), with 65,535 section headers each naming a
// table of gigabytes. Ours and any real program's are far below these limits.
constexpr std::uint64_t max_table_bytes = 4 << 20;

bool read_bytes(int fd, std::string& out, std::uint64_t offset, std::uint64_t size) {
    if (size > max_table_bytes) return false;
    out.resize(size);
    return ::pread(fd, out.data(), size, static_cast<off_t>(offset)) == static_cast<ssize_t>(size);
}

std::optional<Elf64_Ehdr> header_of(int fd) {
    Elf64_Ehdr h{};
    if (!read_at(fd, h, 0) || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 || h.e_ident[EI_CLASS] != ELFCLASS64 ||
        h.e_ident[EI_DATA] != ELFDATA2LSB || h.e_shentsize != sizeof(Elf64_Shdr) || h.e_phentsize != sizeof(Elf64_Phdr))
        return std::nullopt;
    return h;
}

// The section headers, read at once (at most 65,535 x 64 bytes).
std::vector<Elf64_Shdr> sections_of(int fd, const Elf64_Ehdr& h) {
    std::vector<Elf64_Shdr> sections(h.e_shnum);
    const std::size_t bytes = sections.size() * sizeof(Elf64_Shdr);
    if (::pread(fd, sections.data(), bytes, static_cast<off_t>(h.e_shoff)) != static_cast<ssize_t>(bytes)) return {};
    return sections;
}

// The NUL-terminated name at `offset` of a string table, or "" when out of bounds.
std::string_view name_at(const std::string& table, std::uint32_t offset) {
    if (offset >= table.size()) return {};
    return {table.data() + offset, ::strnlen(table.data() + offset, table.size() - offset)};
}

}  // namespace

Result<ElfImage> ElfImage::open(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (!fd.valid()) {
        const int error = errno;
        return Error{std::strerror(error), error};
    }
    return adopt(std::move(fd));
}

Result<ElfImage> ElfImage::adopt(UniqueFd fd) {
    ElfImage image(fd.release());
    if (!header_of(image.fd_)) return Error{"not a 64-bit little-endian ELF file"};
    return image;
}

ElfImage::ElfImage(ElfImage&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

ElfImage::~ElfImage() {
    if (fd_ >= 0) ::close(fd_);
}

bool ElfImage::has_section(std::string_view name) const {
    const std::optional<Elf64_Ehdr> h = header_of(fd_);
    if (!h) return false;
    const std::vector<Elf64_Shdr> sections = sections_of(fd_, *h);
    std::string names;
    if (h->e_shstrndx >= sections.size() || !read_bytes(fd_, names, sections[h->e_shstrndx].sh_offset, sections[h->e_shstrndx].sh_size)) return false;
    for (const Elf64_Shdr& s : sections)
        if (name_at(names, s.sh_name) == name) return true;
    return false;
}

std::optional<ElfSymbol> ElfImage::dynamic_symbol(std::string_view name) const {
    const std::optional<Elf64_Ehdr> h = header_of(fd_);
    if (!h) return std::nullopt;
    const std::vector<Elf64_Shdr> sections = sections_of(fd_, *h);
    // An ELF file has one dynamic symbol table: only the first is read.
    for (const Elf64_Shdr& s : sections) {
        if (s.sh_type != SHT_DYNSYM) continue;
        if (s.sh_link >= sections.size() || s.sh_entsize != sizeof(Elf64_Sym)) return std::nullopt;
        std::string symbols;
        std::string names;
        if (!read_bytes(fd_, symbols, s.sh_offset, s.sh_size) || !read_bytes(fd_, names, sections[s.sh_link].sh_offset, sections[s.sh_link].sh_size))
            return std::nullopt;
        for (std::size_t at = 0; at + sizeof(Elf64_Sym) <= symbols.size(); at += sizeof(Elf64_Sym)) {
            Elf64_Sym sym{};
            std::memcpy(&sym, symbols.data() + at, sizeof sym);
            if (sym.st_shndx != SHN_UNDEF && name_at(names, sym.st_name) == name) return ElfSymbol{sym.st_value, sym.st_size};
        }
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> ElfImage::first_load_address() const {
    const std::optional<Elf64_Ehdr> h = header_of(fd_);
    if (!h) return std::nullopt;
    for (unsigned i = 0; i < h->e_phnum; ++i) {
        Elf64_Phdr ph{};
        if (!read_at(fd_, ph, h->e_phoff + i * sizeof(Elf64_Phdr))) return std::nullopt;
        if (ph.p_type == PT_LOAD && ph.p_offset == 0) return ph.p_vaddr & ~static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE) - 1);
    }
    return std::nullopt;
}

bool is_go_program(const std::string& path) {
    const Result<ElfImage> image = ElfImage::open(path);
    return image && image->has_section(".go.buildinfo");
}

}  // namespace tcpkeep::cli
