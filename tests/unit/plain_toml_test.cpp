// The plain-TOML fast path: where it reads a text, it builds exactly the document toml++ builds
// (values, positions, order); everything else it declines, so toml++ decides. The example policies
// and the valid fixtures are all plain, which is what makes the fast path the common one.
#include <gtest/gtest.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/plain_toml.h"
#include "config/toml_document.h"

namespace tcpkeep {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Plain, and the same document as toml++'s.
::testing::AssertionResult reads_like_toml(std::string_view text) {
    const std::optional<Document> plain = parse_plain_toml(text);
    if (!plain) return ::testing::AssertionFailure() << "declined";
    const Result<Document, TomlError> full = parse_toml(text);
    if (!full) return ::testing::AssertionFailure() << "toml++ refuses it: " << full.error().message;
    if (!plain->same_as(*full)) return ::testing::AssertionFailure() << "a different document";
    return ::testing::AssertionSuccess();
}

TEST(PlainToml, ExamplePoliciesAndValidFixturesAreRead) {
    int files = 0;
    for (const fs::path& dir : {fs::path(TCPKEEP_EXAMPLES_DIR) / "policies", fs::path(TCPKEEP_FIXTURES_DIR) / "valid"}) {
        for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
            if (e.path().extension() != ".toml") continue;
            EXPECT_TRUE(reads_like_toml(read_file(e.path()))) << e.path();
            ++files;
        }
    }
    EXPECT_GE(files, 9);
}

// Whatever it accepts among the failure fixtures (errors the reader finds, not syntax) matches too.
TEST(PlainToml, FixturesItAcceptsMatchToml) {
    for (const fs::directory_entry& e : fs::directory_iterator(TCPKEEP_FIXTURES_DIR)) {
        if (e.path().extension() != ".toml") continue;
        const std::string text = read_file(e.path());
        if (parse_plain_toml(text)) {
            EXPECT_TRUE(reads_like_toml(text)) << e.path();
        }
    }
}

TEST(PlainToml, PlainShapesReadExactlyLikeToml) {
    for (const char* text : {
             "",
             "\n\n# only a comment\n",
             "version = 1",                                          // no final line end
             "version = 1\r\n[defaults]\r\nidle = \"30s\"\r\n",      // CRLF
             "  version=1\t# tabs and spaces\n\t[defaults]  # c\n",  // indentation, no spaces around '='
             "x = -0\ny = +7\nz = 999999999999999999\nb = true\nc = false\ns = \"\"\nt = \"a\tb\"\n",
             "ports = [ 1, \"2-3\",\n  4, # c\n]\nempty = []\nspaced = [ ]\none = [\n\"x\"\n,]\n",
             "[[rule]]\nname = \"a\"\n[defaults]\nidle = \"1s\"\n[[rule]]\n[[other]]\n[[rule]]\nx = true#c\n",
             "version = 1\n[defaults]\n[[rule]]\nports = [5432]\npeers = [\"10.0.0.0/8\", \"fd00::/8\"]\n",
         })
        EXPECT_TRUE(reads_like_toml(text)) << text;
}

TEST(PlainToml, EverythingElseIsDeclined) {
    for (const char* text : {
             "s = \"a\\tb\"\n",            // an escape
             "s = \"\"\"\nx\"\"\"\n",      // a multi-line string
             "s = 'literal'\n",            // a literal string
             "s = \"caf\xc3\xa9\"\n",      // non-ASCII in a string
             "# caf\xc3\xa9\n",            // non-ASCII in a comment
             "\xef\xbb\xbfversion = 1\n",  // a byte-order mark
             "x = 1.5\n",
             "x = 1e3\n",
             "x = inf\n",
             "x = 0x1f\n",
             "x = 1_000\n",
             "x = 01\n",
             "x = 1234567890123456789\n",  // 19 digits
             "x = 99999999999999999999999999\n",
             "x = -99999999999999999999999999\n",  // beyond int64 (no overflow on the way)
             "d = 1979-05-27\n",
             "t = 07:32:00\n",
             "a.b = 1\n",
             "\"quoted\" = 1\n",
             "[a.b]\n",
             "[ a ]\n",
             "[[ a ]]\n",
             "t = { a = 1 }\n",
             "p = [[1], [2]]\n",
             "p = [1 2]\n",
             "x = 1\nx = 2\n",  // a duplicate key
             "[t]\n[t]\n",
             "t = 1\n[t]\n",
             "[t]\n[[t]]\n",
             "[[t]]\n[t]\n",
             "rule = 1\n[[rule]]\n",
             "x = \n",
             "x\n",
             "= 1\n",
             "x = 1 y\n",
             "x = \"a\" b\n",
             "x = truely\n",
             "x = 1\ry = 2\n",  // a lone CR
             "c = \"\x01\"\n",
             "# \x7f\n",  // control characters
             "x = \"unterminated\n",
         })
        EXPECT_FALSE(parse_plain_toml(text).has_value()) << text;
}

// A document's strings may point into the text: reading must not need the text copied.
TEST(PlainToml, StringsPointIntoTheText) {
    const std::string text = "name = \"db\"\n";
    const std::optional<Document> doc = parse_plain_toml(text);
    ASSERT_TRUE(doc);
    const DocumentNode* name = doc->find(doc->root(), "name");
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(doc->string(*name), "db");
    EXPECT_EQ(doc->string(*name).data(), text.data() + 8);
}

}  // namespace
}  // namespace tcpkeep
