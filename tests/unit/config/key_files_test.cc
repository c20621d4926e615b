// Files of secrets the daemon reads at startup: read_key_file ([auth] key
// files: the bytes minus one line ending). Errors name the file, never what it
// holds.
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

}  // namespace
}  // namespace ringcast
