// The lines `tcpkeep env` prints: each format quoted so that the program receives the value as it
// is, whatever characters a path holds.
//  - systemd: the whole assignment in double quotes, C escapes for '\', '"' and line breaks, "%%"
//    for '%' (a unit specifier otherwise); no '$' expansion in Environment=.
//  - shell: single quotes keep everything, line breaks included; a quote is closed, escaped, reopened.
//  - docker: double quotes with '\', '"' and '$' escaped; a line break cannot be written at all.
#include <gtest/gtest.h>
#include <optional>
#include <string>

#include "tools/launch/preload_environment.h"

namespace tcpkeep::cli {
namespace {

std::string line(EnvFormat format, std::string_view value) { return environment_line(format, "TCPKEEP_POLICY", value).value_or("(refused)"); }

struct Case {
    std::string_view value;
    std::string_view systemd;
    std::string_view shell;
    std::string_view docker;
};

const Case cases[] = {
    {"/usr/lib/tcpkeep/lib_tcp-keep+1.so:a,b=c@d", "Environment=TCPKEEP_POLICY=/usr/lib/tcpkeep/lib_tcp-keep+1.so:a,b=c@d\n",
     "export TCPKEEP_POLICY=/usr/lib/tcpkeep/lib_tcp-keep+1.so:a,b=c@d\n", "ENV TCPKEEP_POLICY=/usr/lib/tcpkeep/lib_tcp-keep+1.so:a,b=c@d\n"},
    {"", "Environment=TCPKEEP_POLICY=\n", "export TCPKEEP_POLICY=\n", "ENV TCPKEEP_POLICY=\n"},
    {"/etc/my policy.toml", "Environment=\"TCPKEEP_POLICY=/etc/my policy.toml\"\n", "export TCPKEEP_POLICY='/etc/my policy.toml'\n",
     "ENV TCPKEEP_POLICY=\"/etc/my policy.toml\"\n"},
    {"/p/it's \"x\".toml", "Environment=\"TCPKEEP_POLICY=/p/it's \\\"x\\\".toml\"\n", "export TCPKEEP_POLICY='/p/it'\\''s \"x\".toml'\n",
     "ENV TCPKEEP_POLICY=\"/p/it's \\\"x\\\".toml\"\n"},
    {"''", "Environment=\"TCPKEEP_POLICY=''\"\n", "export TCPKEEP_POLICY=''\\'''\\'''\n", "ENV TCPKEEP_POLICY=\"''\"\n"},
    {"/p/$HOME/100%", "Environment=\"TCPKEEP_POLICY=/p/$HOME/100%%\"\n", "export TCPKEEP_POLICY='/p/$HOME/100%'\n",
     "ENV TCPKEEP_POLICY=\"/p/\\$HOME/100%\"\n"},
    {"/p/a\\b", "Environment=\"TCPKEEP_POLICY=/p/a\\\\b\"\n", "export TCPKEEP_POLICY='/p/a\\b'\n", "ENV TCPKEEP_POLICY=\"/p/a\\\\b\"\n"},
    {"/p/a\nb", "Environment=\"TCPKEEP_POLICY=/p/a\\nb\"\n", "export TCPKEEP_POLICY='/p/a\nb'\n", "(refused)"},
    {"/p/a\rb", "Environment=\"TCPKEEP_POLICY=/p/a\\rb\"\n", "export TCPKEEP_POLICY='/p/a\rb'\n", "(refused)"},
};

TEST(EnvironmentLine, EachFormatQuotesWhatItMust) {
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.value));
        EXPECT_EQ(line(EnvFormat::systemd, c.value), c.systemd);
        EXPECT_EQ(line(EnvFormat::shell, c.value), c.shell);
        EXPECT_EQ(line(EnvFormat::docker, c.value), c.docker);
    }
}

TEST(EnvironmentLine, DockerRefusesALineBreak) {
    for (const char* value : {"/p/a\nb", "/p/a\rb"}) {
        const Result<std::string> refused = environment_line(EnvFormat::docker, "TCPKEEP_POLICY", value);
        ASSERT_FALSE(refused.ok()) << value;
        EXPECT_EQ(refused.error().message, "a Dockerfile ENV line cannot hold a line break");
    }
}

}  // namespace
}  // namespace tcpkeep::cli
