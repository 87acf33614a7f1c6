// The lines `tcpkeep env` prints: each format quoted so that the program receives the value as it
// is, whatever characters a path holds.
#include <gtest/gtest.h>
#include <optional>
#include <string>

#include "tools/launch/preload_environment.h"

namespace tcpkeep::cli {
namespace {

std::string line(EnvFormat format, std::string_view value) {
    return environment_line(format, "TCPKEEP_POLICY", value).value_or("(refused)");
}

TEST(EnvironmentLine, PlainValuesStayBare) {
    const std::string value = "/usr/lib/x86_64-linux-gnu/tcpkeep/lib_tcp-keep+1.so:a,b=c@d";
    EXPECT_EQ(line(EnvFormat::systemd, value), "Environment=TCPKEEP_POLICY=" + value + "\n");
    EXPECT_EQ(line(EnvFormat::shell, value), "export TCPKEEP_POLICY=" + value + "\n");
    EXPECT_EQ(line(EnvFormat::docker, value), "ENV TCPKEEP_POLICY=" + value + "\n");
}

TEST(EnvironmentLine, Systemd) {
    // The whole assignment in double quotes; C escapes for '\', '"' and line breaks; "%%" for '%'.
    EXPECT_EQ(line(EnvFormat::systemd, "/etc/my policy.toml"), "Environment=\"TCPKEEP_POLICY=/etc/my policy.toml\"\n");
    EXPECT_EQ(line(EnvFormat::systemd, "/p/it's \"x\".toml"), "Environment=\"TCPKEEP_POLICY=/p/it's \\\"x\\\".toml\"\n");
    EXPECT_EQ(line(EnvFormat::systemd, "/p/$HOME/100%"), "Environment=\"TCPKEEP_POLICY=/p/$HOME/100%%\"\n");
    EXPECT_EQ(line(EnvFormat::systemd, "/p/a\\b"), "Environment=\"TCPKEEP_POLICY=/p/a\\\\b\"\n");
    EXPECT_EQ(line(EnvFormat::systemd, "/p/a\nb\rc"), "Environment=\"TCPKEEP_POLICY=/p/a\\nb\\rc\"\n");
    EXPECT_EQ(line(EnvFormat::systemd, ""), "Environment=TCPKEEP_POLICY=\n");
}

TEST(EnvironmentLine, Shell) {
    // Single quotes keep everything, line breaks included; a quote is closed, escaped, reopened.
    EXPECT_EQ(line(EnvFormat::shell, "/etc/my policy.toml"), "export TCPKEEP_POLICY='/etc/my policy.toml'\n");
    EXPECT_EQ(line(EnvFormat::shell, "/p/it's \"x\".toml"), "export TCPKEEP_POLICY='/p/it'\\''s \"x\".toml'\n");
    EXPECT_EQ(line(EnvFormat::shell, "/p/$HOME/100%"), "export TCPKEEP_POLICY='/p/$HOME/100%'\n");
    EXPECT_EQ(line(EnvFormat::shell, "/p/a\\b"), "export TCPKEEP_POLICY='/p/a\\b'\n");
    EXPECT_EQ(line(EnvFormat::shell, "/p/a\nb"), "export TCPKEEP_POLICY='/p/a\nb'\n");
    EXPECT_EQ(line(EnvFormat::shell, "''"), "export TCPKEEP_POLICY=''\\'''\\'''\n");
}

TEST(EnvironmentLine, Docker) {
    // Double quotes; '\', '"' and '$' escaped with a backslash; a line break cannot be written.
    EXPECT_EQ(line(EnvFormat::docker, "/etc/my policy.toml"), "ENV TCPKEEP_POLICY=\"/etc/my policy.toml\"\n");
    EXPECT_EQ(line(EnvFormat::docker, "/p/it's \"x\".toml"), "ENV TCPKEEP_POLICY=\"/p/it's \\\"x\\\".toml\"\n");
    EXPECT_EQ(line(EnvFormat::docker, "/p/$HOME/100%"), "ENV TCPKEEP_POLICY=\"/p/\\$HOME/100%\"\n");
    EXPECT_EQ(line(EnvFormat::docker, "/p/a\\b"), "ENV TCPKEEP_POLICY=\"/p/a\\\\b\"\n");
    EXPECT_EQ(environment_line(EnvFormat::docker, "TCPKEEP_POLICY", "/p/a\nb"), std::nullopt);
    EXPECT_EQ(environment_line(EnvFormat::docker, "TCPKEEP_POLICY", "/p/a\rb"), std::nullopt);
}

}  // namespace
}  // namespace tcpkeep::cli
