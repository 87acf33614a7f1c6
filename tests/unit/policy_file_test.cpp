// Finding the policy file (system/policy_location: discover_policy) and reading it safely
// (system/policy_file: load_policy_file): only bounded regular files, never a hang.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/embedded_default.h"
#include "system/policy_file.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

using test::errors_of;
using test::TempDir;
using Kind = PolicyLocation::Kind;

// ---------------------------------------------------------------------------------------------
// discover_policy

TEST(DiscoverPolicy, EnvironmentWinsWhenNotSecure) {
    TempDir dir;
    const std::string system = dir.write("system.toml", "version = 1\n");
    const PolicyLocation l = discover_policy("/nonexistent/mine.toml", false, system);
    EXPECT_EQ(l.kind, Kind::environment);
    EXPECT_EQ(l.path, "/nonexistent/mine.toml");  // even a missing file: load reports it, no silent fallback
}

TEST(DiscoverPolicy, EnvironmentIgnoredWhenSecure) {
    TempDir dir;
    const std::string system = dir.write("system.toml", "version = 1\n");
    PolicyLocation l = discover_policy("/tmp/attacker.toml", true, system);
    EXPECT_EQ(l.kind, Kind::system);
    EXPECT_EQ(l.path, system);
    l = discover_policy("/tmp/attacker.toml", true, dir.file("missing.toml"));
    EXPECT_EQ(l.kind, Kind::embedded);
    EXPECT_EQ(l.path, "");
}

TEST(DiscoverPolicy, SystemPathWhenItExists) {
    TempDir dir;
    const std::string system = dir.write("policy.toml", "version = 1\n");
    PolicyLocation l = discover_policy(nullptr, false, system);
    EXPECT_EQ(l.kind, Kind::system);
    EXPECT_EQ(l.path, system);
    l = discover_policy("", false, system);  // TCPKEEP_POLICY= (empty) counts as unset
    EXPECT_EQ(l.kind, Kind::system);
}

TEST(DiscoverPolicy, EmbeddedOtherwise) {
    TempDir dir;
    const PolicyLocation l = discover_policy(nullptr, false, dir.file("absent.toml"));
    EXPECT_EQ(l.kind, Kind::embedded);
    EXPECT_EQ(l.path, "");
    const PolicyLoad load = load_policy(l, false);
    ASSERT_TRUE(load.ok());
    EXPECT_EQ(load.policy->source, "<embedded default>");
}

// ---------------------------------------------------------------------------------------------
// load_policy_file

std::string io_error_of(const PolicyLoad& load) {
    EXPECT_FALSE(load.ok());
    if (load.diagnostics.size() != 1) return fmt::format("{} diagnostics", load.diagnostics.size());
    const Diagnostic& d = load.diagnostics[0];
    EXPECT_EQ(d.line, 0u);  // about the whole file
    EXPECT_EQ(d.severity, Severity::error);
    return d.location_and_message();
}

TEST(LoadPolicyFile, ValidFile) {
    TempDir dir;
    const std::string path = dir.write("p.toml", "version = 1\n[defaults]\ncount = 4\n");
    const PolicyLoad load = load_policy_file(path, false);
    ASSERT_TRUE(load.ok());
    EXPECT_EQ(load.policy->source, path);
    EXPECT_EQ(load.policy->defaults->count->value, 4);
    const PolicyLoad via_location = load_policy(PolicyLocation{Kind::environment, path}, false);
    ASSERT_TRUE(via_location.ok());
    EXPECT_EQ(via_location.policy->defaults->count->value, 4);
}

TEST(LoadPolicyFile, MissingFile) {
    TempDir dir;
    const std::string path = dir.file("nope.toml");
    EXPECT_EQ(io_error_of(load_policy_file(path, false)), path + ": cannot open policy: No such file or directory");
}

TEST(LoadPolicyFile, Directory) {
    TempDir dir;
    const std::string path = dir.file("");
    EXPECT_EQ(io_error_of(load_policy_file(path, false)), path + ": policy is a directory, not a file");
}

TEST(LoadPolicyFile, FifoIsRejectedWithoutHanging) {
    TempDir dir;
    const std::string path = dir.file("fifo.toml");
    ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    // No writer ever opens it: a blocking open or read would hang here (ctest's timeout would fire).
    EXPECT_EQ(io_error_of(load_policy_file(path, false)), path + ": policy is not a regular file");
}

TEST(LoadPolicyFile, CharacterDeviceIsRejected) {
    EXPECT_EQ(io_error_of(load_policy_file("/dev/zero", false)), "/dev/zero: policy is not a regular file");
    EXPECT_EQ(io_error_of(load_policy_file("/dev/null", false)), "/dev/null: policy is not a regular file");
}

TEST(LoadPolicyFile, TooLarge) {
    TempDir dir;
    const std::string path = dir.file("big.toml");
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(max_policy_bytes) + 1), 0);  // sparse: cheap
    ::close(fd);
    EXPECT_EQ(io_error_of(load_policy_file(path, false)), path + ": policy is too large (4194305 bytes; the limit is 4194304 bytes)");
}

TEST(LoadPolicyFile, ExactlyTheLimitIsRead) {
    TempDir dir;
    std::string text = "version = 1\n#";
    text.resize(max_policy_bytes - 1, 'x');
    text += '\n';
    ASSERT_EQ(text.size(), max_policy_bytes);
    const PolicyLoad load = load_policy_file(dir.write("limit.toml", text), false);
    EXPECT_TRUE(load.ok()) << test::first_error_text(load);
}

TEST(LoadPolicyFile, EmptyFileMissesVersion) {
    TempDir dir;
    const PolicyLoad load = load_policy_file(dir.write("empty.toml", ""), false);
    EXPECT_FALSE(load.ok());
    EXPECT_EQ(errors_of(load), std::vector<std::string>{R"(1:1: missing "version = 1" (required as the first key of a tcpkeep policy))"});
}

TEST(LoadPolicyFile, SyntaxErrorsCarryThePath) {
    TempDir dir;
    const std::string path = dir.write("bad.toml", "version = 1\n[defaults]\nidle = 30\n");
    const PolicyLoad load = load_policy_file(path, false);
    ASSERT_EQ(load.diagnostics.size(), 1u);
    EXPECT_EQ(load.diagnostics[0].to_string(), path + R"(:3:8: error: idle needs a unit; did you mean "30s"?)");
}

// Secure mode (setuid programs): only a root-owned file that nobody else can write.
TEST(LoadPolicyFile, SecureModeOwnershipAndPermissions) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create root-owned and foreign-owned files";
    TempDir dir;
    const std::string path = dir.write("p.toml", "version = 1\n");
    const std::string refused = path + ": policy ignored for a setuid program: it must be owned by root and not group/world-writable";
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    EXPECT_TRUE(load_policy_file(path, true).ok());
    ASSERT_EQ(::chmod(path.c_str(), 0664), 0);
    EXPECT_EQ(io_error_of(load_policy_file(path, true)), refused);
    EXPECT_TRUE(load_policy_file(path, false).ok());  // not secure: permissions do not matter
    ASSERT_EQ(::chmod(path.c_str(), 0646), 0);
    EXPECT_EQ(io_error_of(load_policy_file(path, true)), refused);
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
    ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
    EXPECT_EQ(io_error_of(load_policy_file(path, true)), refused);
}

}  // namespace
}  // namespace tcpkeep
