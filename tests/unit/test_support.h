// Helpers shared by the unit tests: reading policy text, rendering diagnostics, temporary files.
#pragma once
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/compiled_policy.h"
#include "config/diagnostic.h"
#include "config/policy_reader.h"

namespace tcpkeep::test {

// "LINE:COL: message": the form fixtures and these tests compare (the file name is left out).
inline std::string position_and_message(const Diagnostic& d) { return fmt::format("{}:{}: {}", d.line, d.column, d.message); }

inline std::string first_error_text(const PolicyLoad& load) {
    const Diagnostic* e = first_error(load.diagnostics);
    return e == nullptr ? std::string("(no error)") : position_and_message(*e);
}

inline std::vector<std::string> messages_of(const PolicyLoad& load, Severity severity) {
    std::vector<std::string> out;
    for (const Diagnostic& d : load.diagnostics)
        if (d.severity == severity) out.push_back(position_and_message(d));
    return out;
}

inline std::vector<std::string> warnings_of(const PolicyLoad& load) { return messages_of(load, Severity::warning); }
inline std::vector<std::string> errors_of(const PolicyLoad& load) { return messages_of(load, Severity::error); }

// Parses text that must be valid; a failure is reported with every diagnostic.
inline Policy must_read(std::string_view text, std::string_view source = "test.toml") {
    PolicyLoad load = read_policy(text, source);
    if (!load.ok()) {
        std::string all;
        for (const Diagnostic& d : load.diagnostics) all += d.to_string() + "\n";
        ADD_FAILURE() << "policy did not load:\n" << all << "text:\n" << text;
        return Policy{};
    }
    return std::move(*load.policy);
}

inline PeerAddress peer_address(std::string_view text) {
    std::optional<PeerAddress> a = PeerAddress::parse(text);
    EXPECT_TRUE(a.has_value()) << "not an address: " << text;
    return a.value_or(PeerAddress{});
}

inline ProcessIdentity identity(std::string exe_path, std::string argv0_name, std::string comm) {
    ProcessIdentity who;
    who.exe_name = exe_path.substr(exe_path.rfind('/') + 1);
    who.exe_path = std::move(exe_path);
    who.argv0_name = std::move(argv0_name);
    who.comm = std::move(comm);
    return who;
}

inline CompiledPolicy compile_text(std::string_view text, const ProcessIdentity& who = {}, const KernelDefaults& kernel = {}) {
    return CompiledPolicy::compile(must_read(text), who, kernel);
}

// A fresh directory under TMPDIR, removed with everything in it.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tcpkeep-unit-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }
    std::string write(std::string_view name, std::string_view content) const {
        const std::string p = file(name);
        std::ofstream(p, std::ios::binary) << content;
        return p;
    }

private:
    std::filesystem::path path_;
};

}  // namespace tcpkeep::test
