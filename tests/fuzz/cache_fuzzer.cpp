// libFuzzer target: a compiled-policy file ("FILE.compiled", read by the shim's engine instead of
// the TOML when it was made from the TOML's exact text) -> deserialize -> compile -> decide. The checksum
// only guards against accidental damage, so the harness makes every input pass it: the input is a
// policy's text, optionally followed by a NUL and bytes XORed into the policy's serialized form;
// text that is not a valid policy is taken as the serialized body itself. Whatever the bytes, the
// reader must refuse them or give a policy that compiles and decides without crash, leak or UB.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "config/compiled_policy.h"
#include "config/policy_cache.h"
#include "config/policy_reader.h"

namespace {

using namespace tcpkeep;

constexpr std::size_t header_bytes = 8 + 4 + 2 * 8;  // magic, format version, the text's size and digest

void seal(std::string& bytes) {  // replaces the trailing checksum with the right one
    const std::uint64_t sum = compiled_checksum(std::string_view(bytes).substr(0, bytes.size() - 8));
    std::memcpy(bytes.data() + bytes.size() - 8, &sum, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string_view text = input.substr(0, nul);
    const std::string_view mask = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

    std::string bytes;
    const PolicyLoad load = read_policy(text, "fuzz.toml");
    if (load.ok()) {
        bytes = serialize_policy(*load.policy, text);
        for (std::size_t k = 0; k < mask.size() && bytes.size() > header_bytes + 8; ++k)
            bytes[header_bytes + k % (bytes.size() - header_bytes - 8)] ^= mask[k];
    } else {
        bytes = serialize_policy(Policy{}, text).substr(0, header_bytes);  // a valid header ...
        bytes.append(input);                                               // ... before arbitrary bytes
        bytes.append(8, '\0');
    }
    seal(bytes);

    const std::optional<Policy> policy = deserialize_policy(bytes, text, "fuzz.toml");
    if (!policy) return 0;
    ProcessIdentity who;
    who.exe_path = "/usr/bin/psql";
    who.exe_name = who.argv0_name = who.comm = "psql";
    const CompiledPolicy compiled = CompiledPolicy::compile(*policy, who, KernelDefaults{});
    const PeerAddress v4 = *PeerAddress::parse("10.1.2.3");
    const PeerAddress v6 = *PeerAddress::parse("fd00::1");
    for (Direction d : {Direction::outbound, Direction::inbound})
        for (std::uint16_t port : {0, 1, 80, 443, 5432, 65535}) {
            (void)compiled.decide(d, port, nullptr);
            (void)compiled.decide(d, port, &v4);
            (void)compiled.decide(d, port, &v6);
            (void)compiled.depends_on_peer(d, port);
        }
    (void)compiled.applies_anything();
    return 0;
}
