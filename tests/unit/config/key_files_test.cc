// Files of secrets the daemon reads at startup: read_key_file ([auth] key
// files: the bytes minus one line ending) and read_api_key_file (API keys, one
// per line). Errors name the file (and line), never what it holds.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"

namespace ringcast {
namespace {

const std::string kSecret32(32, 's');

class ConfigKeyFile : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ringcast-key-test-XXXXXX";
        int fd = mkstemp(tmpl);
        ASSERT_GE(fd, 0);
        close(fd);
        path = tmpl;
    }
    void TearDown() override { std::remove(path.c_str()); }
    void write(const std::string& content) {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << content;
    }
    std::string path;
};

TEST_F(ConfigKeyFile, StripsOneTrailingLineEnding) {
    std::string out, err;
    write(kSecret32 + "\n");
    ASSERT_TRUE(read_key_file(path, &out, &err)) << err;
    EXPECT_EQ(out, kSecret32);
    write(kSecret32 + "\r\n");
    ASSERT_TRUE(read_key_file(path, &out, &err)) << err;
    EXPECT_EQ(out, kSecret32);
    write(kSecret32 + "\n\n");
    ASSERT_TRUE(read_key_file(path, &out, &err)) << err;
    EXPECT_EQ(out, kSecret32 + "\n") << "only one line ending is taken off";
    write(kSecret32);
    ASSERT_TRUE(read_key_file(path, &out, &err)) << err;
    EXPECT_EQ(out, kSecret32);
    std::string pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    write(pem);
    ASSERT_TRUE(read_key_file(path, &out, &err)) << err;
    EXPECT_EQ(out + "\n", pem);
}

TEST_F(ConfigKeyFile, ErrorsNameTheFileNotTheContent) {
    std::string out = "unchanged", err;
    write("\n");
    EXPECT_FALSE(read_key_file(path, &out, &err));
    EXPECT_EQ(err, "key file " + path + " is empty");
    EXPECT_EQ(out, "unchanged");

    write(std::string((1 << 20) + 1, 'k'));
    EXPECT_FALSE(read_key_file(path, &out, &err));
    EXPECT_EQ(err, "cannot read key file " + path +
                       ": 1048577 bytes, more than a key file holds (1 MiB at most)");

    EXPECT_FALSE(read_key_file("/tmp", &out, &err));
    EXPECT_EQ(err, "cannot read key file /tmp: not a regular file");

    std::remove(path.c_str());
    EXPECT_FALSE(read_key_file(path, &out, &err));
    EXPECT_EQ(err, "cannot read key file " + path + ": No such file or directory");
}

// --- read_api_key_file -------------------------------------------------------------

TEST_F(ConfigKeyFile, ApiKeysOnePerLineWithBlanksAndCommentsIgnored) {
    write(
        "# make run's development key\n"
        "\n"
        "  first-key-0123  \n"
        "second.key_~+/=\r\n"
        "\t# an indented comment\n"
        "already-listed\n"
        "last-without-newline");
    Config c;
    c.publish_api_keys = {"already-listed"};
    c.publish_api_key_file = path;
    std::string err;
    ASSERT_TRUE(read_api_key_file(c, &err)) << err;
    EXPECT_EQ(c.publish_api_keys,
              (std::vector<std::string>{"already-listed", "first-key-0123",
                                        "second.key_~+/=", "last-without-newline"}))
        << "the file's keys add to publish.api_keys, each once";
}

TEST_F(ConfigKeyFile, NoApiKeyFileReadsNothing) {
    Config c;
    c.publish_api_keys = {"k"};
    std::string err;
    EXPECT_TRUE(read_api_key_file(c, &err)) << err;
    EXPECT_EQ(c.publish_api_keys, std::vector<std::string>{"k"});
}

TEST_F(ConfigKeyFile, ApiKeyFileErrorsNameTheFileAndLineNeverAKey) {
    Config c;
    c.publish_api_key_file = path;
    std::string err;
    write("# only comments\n\n   \n");
    EXPECT_FALSE(read_api_key_file(c, &err));
    EXPECT_EQ(err, "publish.api_key_file " + path +
                       " holds no key (one key per line; blank lines and lines starting with # "
                       "are ignored)");

    write("good-key\nsecret with spaces\n");
    EXPECT_FALSE(read_api_key_file(c, &err));
    EXPECT_EQ(err, "publish.api_key_file " + path +
                       ":2: a key must be visible ASCII without spaces (it travels in an HTTP "
                       "header); write one key per line");
    EXPECT_EQ(err.find("secret with"), std::string::npos) << "never the key itself";
    EXPECT_TRUE(c.publish_api_keys.empty()) << "all or nothing";

    c.publish_api_key_file = "/tmp";
    EXPECT_FALSE(read_api_key_file(c, &err));
    EXPECT_EQ(err, "publish.api_key_file: cannot read /tmp: not a regular file");

    std::remove(path.c_str());
    c.publish_api_key_file = path;
    EXPECT_FALSE(read_api_key_file(c, &err));
    EXPECT_EQ(err, "publish.api_key_file: cannot read " + path + ": No such file or directory");
}

TEST_F(ConfigKeyFile, ApiKeyFileThisUserMayNotRead) {
    if (geteuid() == 0) GTEST_SKIP() << "root reads any file";
    write("k\n");
    ASSERT_EQ(chmod(path.c_str(), 0), 0);
    Config c;
    c.publish_api_key_file = path;
    std::string err;
    EXPECT_FALSE(read_api_key_file(c, &err));
    EXPECT_EQ(err, "publish.api_key_file: cannot read " + path + ": Permission denied");
}

}  // namespace
}  // namespace ringcast
