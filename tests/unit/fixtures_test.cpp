// Every file in tests/fixtures/ is one failure mode; its first line holds the exact first error:
//   # expect: LINE:COL: message
// tests/fixtures/valid/ holds valid policies, first line "# expect: valid" (no warnings) or
//   # expect warning: LINE:COL: message          (exactly this one warning)
// check_fixtures.sh holds `tcpkeep check` to the same lines.
#include <gtest/gtest.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "system/policy_file.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

namespace fs = std::filesystem;

const fs::path fixtures_dir{TCPKEEP_FIXTURES_DIR};

std::vector<std::string> toml_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const fs::directory_entry& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".toml") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string first_line(const fs::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = fs::path(info.param).stem().string();
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

constexpr std::string_view expect_error = "# expect: ";
constexpr std::string_view expect_warning = "# expect warning: ";

class InvalidFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(InvalidFixture, FirstErrorIsTheExpectedOne) {
    const fs::path path = fixtures_dir / GetParam();
    const std::string header = first_line(path);
    ASSERT_EQ(header.rfind(expect_error, 0), 0u) << path << " must start with \"" << expect_error << "LINE:COL: message\"";
    const PolicyLoad load = load_policy_file(path.string(), false);
    EXPECT_FALSE(load.ok());
    EXPECT_EQ(test::first_error_text(load), header.substr(expect_error.size()));
    const Diagnostic* e = first_error(load.diagnostics);
    if (e != nullptr) {
        EXPECT_EQ(e->file, path.string());
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InvalidFixture, ::testing::ValuesIn(toml_files(fixtures_dir)), test_name);

class ValidFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidFixture, LoadsWithExactlyTheExpectedWarnings) {
    const fs::path path = fixtures_dir / "valid" / GetParam();
    const std::string header = first_line(path);
    const PolicyLoad load = load_policy_file(path.string(), false);
    ASSERT_TRUE(load.ok()) << test::first_error_text(load);
    if (header == "# expect: valid") {
        EXPECT_EQ(test::warnings_of(load), std::vector<std::string>{});
    } else {
        ASSERT_EQ(header.rfind(expect_warning, 0), 0u) << path << ": unknown header " << header;
        EXPECT_EQ(test::warnings_of(load), std::vector<std::string>{header.substr(expect_warning.size())});
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ValidFixture, ::testing::ValuesIn(toml_files(fixtures_dir / "valid")), test_name);

TEST(FixtureCorpus, OneFilePerFailureMode) {
    const std::vector<std::string> files = toml_files(fixtures_dir);
    EXPECT_GE(files.size(), 25u);
    // Two fixtures with the same expected message test the same thing twice.
    std::map<std::string, std::string> seen;
    for (const std::string& f : files) {
        const std::string header = first_line(fixtures_dir / f);
        const std::string message = header.substr(header.find(": ", expect_error.size()) + 2);
        auto [it, inserted] = seen.emplace(message, f);
        if (!inserted && f != "empty_file.toml" && it->second != "empty_file.toml")  // empty file vs. missing version: same message, different input
            ADD_FAILURE() << f << " and " << it->second << " expect the same message: " << message;
    }
    EXPECT_GE(toml_files(fixtures_dir / "valid").size(), 5u);
}

}  // namespace
}  // namespace tcpkeep
