// What the tool reads from a 64-bit ELF file besides its linking: its named sections (a Go
// program's build information) and its dynamic symbols (the shim's published state).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"
#include "system/unique_fd.h"

namespace tcpkeep::cli {

struct ElfSymbol {
    std::uint64_t address = 0;  // st_value: relative to the image's load base for a shared library
    std::uint64_t size = 0;     // st_size
};

// A 64-bit ELF file opened for reading; every lookup re-reads what it needs (files are small
// enough, and lookups are rare), never more than a few MiB whatever the headers say.
class ElfImage {
public:
    // The image, or why not: unreadable, not ELF, or not a 64-bit image of this byte order.
    static Result<ElfImage> open(const std::string& path);
    // The same for a file already open for reading.
    static Result<ElfImage> adopt(UniqueFd fd);
    ElfImage(ElfImage&& other) noexcept;
    ElfImage& operator=(ElfImage&&) = delete;
    ElfImage(const ElfImage&) = delete;
    ~ElfImage();

    [[nodiscard]] bool has_section(std::string_view name) const;
    [[nodiscard]] std::optional<ElfSymbol> dynamic_symbol(std::string_view name) const;
    // The virtual address mapped at file offset 0 (the page-aligned p_vaddr of the PT_LOAD with
    // offset 0): the load base of a mapping is its start address minus this.
    [[nodiscard]] std::optional<std::uint64_t> first_load_address() const;

private:
    explicit ElfImage(int fd) : fd_(fd) {}
    int fd_;
};

// A Go program (its build information section): Go's runtime makes its own system calls, so a
// preloaded library never sees its connections.
bool is_go_program(const std::string& path);

}  // namespace tcpkeep::cli
