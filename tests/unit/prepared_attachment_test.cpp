// What attach, run and apply --cgroup record of a policy: the text the one reading gave, its
// digest as a number, its rule count, the file by its absolute path; the refusals otherwise.
#include <gtest/gtest.h>

#include "config/digest.h"
#include "test_support.h"
#include "tools/cgroup/prepared_attachment.h"

namespace tcpkeep::cli {
namespace {

constexpr const char* two_rules = "version = 1\n[[rule]]\nports = [5432]\nidle = \"30s\"\n[[rule]]\nprocess = [\"psql\"]\nidle = \"5s\"\n";

TEST(PreparedAttachment, RecordsTheTextItCompiled) {
    const test::TempDir dir;
    const std::string path = dir.write("p.toml", two_rules);
    const ChosenPolicy chosen = choose_policy(dir.file(".") + "/p.toml");  // recorded without the "/./"
    ASSERT_TRUE(chosen.load.ok());
    EXPECT_EQ(chosen.text, two_rules);
    const Result<PreparedAttachment> prepared = prepare_attachment(chosen);
    ASSERT_TRUE(prepared) << prepared.error().message;
    EXPECT_EQ(prepared->source.text, two_rules);
    EXPECT_EQ(prepared->source.digest, digest64(two_rules));
    EXPECT_EQ(prepared->source.rules, 2u);
    EXPECT_EQ(prepared->source.path, path);
    EXPECT_EQ(prepared->maps.verdicts.size(), 3u);
    EXPECT_EQ(prepared->maps.process_rules, 1u);
}

TEST(PreparedAttachment, RefusesWhatCgroupModeCannotDecide) {
    const test::TempDir dir;
    const ChosenPolicy chosen = choose_policy(dir.write("p.toml", "version = 1\n[[rule]]\nprocess = [\"ssh*\"]\nidle = \"5s\"\n"));
    ASSERT_TRUE(chosen.load.ok());
    const Result<PreparedAttachment> prepared = prepare_attachment(chosen);
    ASSERT_FALSE(prepared);
    EXPECT_EQ(prepared.error().message.rfind("rule #1 (line 2): process pattern \"ssh*\" has glob characters", 0), 0u) << prepared.error().message;
}

}  // namespace
}  // namespace tcpkeep::cli
