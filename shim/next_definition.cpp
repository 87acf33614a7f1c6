// The search dlsym(RTLD_NEXT) makes, for a preloaded library:
//  - this library's link map is in its GOT[1], where the loader puts it for lazy binding (zero
//    when binding is eager: then dlsym answers);
//  - the objects after it in the link-map chain, in order, are the ones after it in the lookup
//    scope (preloads, then the program's libraries as the loader mapped them); libc, mapped at
//    startup, defines every hooked call, so the search ends there, before any object a program
//    dlopen()s later;
//  - in each, the symbol through its GNU hash table (bloom filter, bucket, chain), defined,
//    global or weak, a plain function, the default version.
// Anything else (no GNU hash table, an IFUNC, a hidden version, no definition at all) -> null.
// No libc call here: each first call of a libc function is itself a symbol lookup.
#include "shim/next_definition.h"

#include <elf.h>
#include <link.h>
#include <cstdint>

extern "C" {
// Defined by the linker: this library's GOT (its second word is set by the loader) and ELF header
// (its address is the load bias, the l_addr of its link map).
extern ElfW(Addr) _GLOBAL_OFFSET_TABLE_[] __attribute__((visibility("hidden")));
extern const ElfW(Ehdr) __ehdr_start __attribute__((visibility("hidden")));
}

namespace tcpkeep {
namespace {

struct SymbolTables {
    const ElfW(Sym) * symbols = nullptr;
    const char* strings = nullptr;
    const std::uint32_t* gnu_hash = nullptr;
    const ElfW(Versym) * versions = nullptr;  // absent when the object has no symbol versions
};

enum class Found { yes, no, unusual };

// glibc stores the dynamic section's addresses relocated; the vDSO's (read-only) and other loaders'
// stay relative to the load bias. A relocated address is never below the bias.
template <typename T>
const T* address(const link_map& object, ElfW(Addr) value) {
    return reinterpret_cast<const T*>(value < object.l_addr ? value + object.l_addr : value);
}

bool tables_of(const link_map& object, SymbolTables& out) {
    if (object.l_ld == nullptr) return false;
    for (const ElfW(Dyn)* d = object.l_ld; d->d_tag != DT_NULL; ++d) {
        switch (d->d_tag) {
            case DT_SYMTAB: out.symbols = address<ElfW(Sym)>(object, d->d_un.d_ptr); break;
            case DT_STRTAB: out.strings = address<char>(object, d->d_un.d_ptr); break;
            case DT_GNU_HASH: out.gnu_hash = address<std::uint32_t>(object, d->d_un.d_ptr); break;
            case DT_VERSYM: out.versions = address<ElfW(Versym)>(object, d->d_un.d_ptr); break;
            default: break;
        }
    }
    return out.symbols != nullptr && out.strings != nullptr && out.gnu_hash != nullptr;
}

std::uint32_t gnu_hash(const char* name) {
    std::uint32_t h = 5381;
    for (; *name != '\0'; ++name) h = h * 33 + static_cast<unsigned char>(*name);
    return h;
}

bool same_name(const char* a, const char* b) {
    for (; *a == *b; ++a, ++b)
        if (*a == '\0') return true;
    return false;
}

// The tables of the object that defined the last name found (libc): reading its dynamic section
// again for the next hooked call would cost a quarter of a lookup. Published once (0 -> 1 -> 2).
struct Remembered {
    const link_map* object = nullptr;
    SymbolTables tables;
};
Remembered remembered;
int remembered_state = 0;

bool tables_of_remembering(const link_map& object, SymbolTables& out) {
    if (__atomic_load_n(&remembered_state, __ATOMIC_ACQUIRE) == 2 && remembered.object == &object) {
        out = remembered.tables;
        return true;
    }
    return tables_of(object, out);
}

void remember(const link_map& object, const SymbolTables& tables) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&remembered_state, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return;
    remembered = {&object, tables};
    __atomic_store_n(&remembered_state, 2, __ATOMIC_RELEASE);
}

Found find(const link_map& object, const char* name, std::uint32_t hash, void*& out) {
    SymbolTables t;
    if (!tables_of_remembering(object, t)) return Found::unusual;
    const std::uint32_t buckets = t.gnu_hash[0], first_symbol = t.gnu_hash[1], bloom_words = t.gnu_hash[2], bloom_shift = t.gnu_hash[3];
    if (buckets == 0 || bloom_words == 0) return Found::unusual;
    constexpr std::uint32_t word_bits = sizeof(ElfW(Addr)) * 8;
    const auto* bloom = reinterpret_cast<const ElfW(Addr)*>(t.gnu_hash + 4);
    const ElfW(Addr) word = bloom[(hash / word_bits) % bloom_words];
    const ElfW(Addr) bits = ElfW(Addr){1} << (hash % word_bits) | ElfW(Addr){1} << ((hash >> bloom_shift) % word_bits);
    if ((word & bits) != bits) return Found::no;
    const auto* bucket = reinterpret_cast<const std::uint32_t*>(bloom + bloom_words);
    const std::uint32_t* chain = bucket + buckets;  // chain[i - first_symbol]: symbol i's hash, low bit = last of its bucket
    for (std::uint32_t i = bucket[hash % buckets]; i >= first_symbol; ++i) {
        const std::uint32_t h = chain[i - first_symbol];
        const ElfW(Sym)& s = t.symbols[i];
        if ((h | 1) == (hash | 1) && same_name(name, t.strings + s.st_name) && s.st_shndx != SHN_UNDEF) {
            const unsigned binding = ELF64_ST_BIND(s.st_info);
            if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || (binding != STB_GLOBAL && binding != STB_WEAK)) return Found::unusual;
            if (t.versions != nullptr && (t.versions[i] & 0x8000) != 0) return Found::unusual;  // a hidden version: dlsym's rules
            out = reinterpret_cast<void*>(object.l_addr + s.st_value);
            remember(object, t);
            return Found::yes;
        }
        if ((h & 1) != 0) break;
    }
    return Found::no;
}

}  // namespace

void* next_definition(const char* name) noexcept {
    const auto* self = reinterpret_cast<const link_map*>(_GLOBAL_OFFSET_TABLE_[1]);
    if (self == nullptr || self->l_addr != reinterpret_cast<ElfW(Addr)>(&__ehdr_start)) return nullptr;
    const std::uint32_t hash = gnu_hash(name);
    for (const link_map* object = self->l_next; object != nullptr; object = object->l_next) {
        void* definition = nullptr;
        switch (find(*object, name, hash, definition)) {
            case Found::yes: return definition;
            case Found::unusual: return nullptr;
            case Found::no: break;
        }
    }
    return nullptr;
}

}  // namespace tcpkeep
