// Cgroup mode's list of the options (TK_OPTIONS in bpf/policy_abi.h, plain C) checked against the
// policy library's (option_table, Settings) when this file compiles: a row added, moved or changed
// on one side only fails the build, before any BPF program runs.
//
// Why here: config/ is the policy library and knows nothing of BPF (the dependency goes from the
// ABI to config, never back); tools/cgroup/ and bpf/ are built only with cgroup mode, while
// policy_abi.h needs nothing but <linux/types.h>, so this file is compiled in every build with
// tests, cgroup mode or not.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "bpf/policy_abi.h"
#include "config/option_table.h"

namespace tcpkeep {
namespace {

// One TK_OPTIONS row as data.
struct AbiRow {
    unsigned bit;
    int level;
    int name;
    std::int64_t low;
    std::int64_t high;
    std::string_view field;  // in struct tk_verdict
    std::size_t offset;
    std::int64_t field_min;  // what the field's type holds
    std::int64_t field_max;
};

template <typename T>
constexpr std::int64_t min_of() {
    return std::numeric_limits<T>::min();
}
template <typename T>
constexpr std::int64_t max_of() {
    return std::numeric_limits<T>::max();
}

constexpr AbiRow abi_rows[] = {
#define TK_ABI_ROW(NAME, field, type, level, optname, low, high) \
    {TK_OPT_##NAME, level, optname, low, high, #field, offsetof(tk_verdict, field), min_of<type>(), max_of<type>()},
    TK_OPTIONS(TK_ABI_ROW)
#undef TK_ABI_ROW
};

static_assert(std::size(abi_rows) == option_count && TK_OPTION_COUNT == option_count, "TK_OPTIONS has one row per tcpkeep::Option");
static_assert(TK_OPTION_COUNT <= 8 * sizeof(tk_verdict::mask) && std::is_same_v<decltype(tk_verdict::mask), decltype(Settings::mask)>,
              "tk_verdict.mask holds Settings.mask as it is");

// Whether agree(TK_OPTIONS row i, option_table[i], i) holds for every row.
template <typename Agree>
constexpr bool every_row(Agree agree) {
    for (int i = 0; i < option_count; ++i)
        if (!agree(abi_rows[i], option_table[i], i)) return false;
    return true;
}

// Row i is Option i: the same kernel option, so the rows are in the same order.
static_assert(every_row([](const AbiRow& a, const OptionSpec& o, int) { return a.level == o.level && a.name == o.name; }),
              "TK_OPTIONS row i and option_table[i] name the same (level, optname)");

static_assert(every_row([](const AbiRow& a, const OptionSpec& o, int) { return a.bit == bit(o.option); }),
              "TK_OPT_<NAME> is bit(Option) of its row: the tool copies Settings.mask into tk_verdict.mask unchanged");

static_assert(every_row([](const AbiRow& a, const OptionSpec& o, int) { return a.low == o.low && a.high == o.high; }),
              "the BPF program accepts a program's setsockopt value exactly when the kernel (and a policy) would");

// Each option's value in tk_verdict: named like its Settings field (and JSON field), after mask in
// row order, and of a type that holds every value Settings gives the option.
static_assert(every_row([](const AbiRow& a, const OptionSpec& o, int i) {
                  const std::int64_t low = o.kind == ValueKind::flag ? 0 : o.low;
                  const std::int64_t high = o.kind == ValueKind::flag ? 1 : o.high;
                  const std::size_t after = i == 0 ? offsetof(tk_verdict, mask) : abi_rows[i - 1].offset;
                  return a.field == o.json_field && a.offset > after && a.field_min <= low && a.field_max >= high;
              }),
              "tk_verdict's option fields follow Settings: same names, TK_OPTIONS order, wide enough");

}  // namespace
}  // namespace tcpkeep
