// Pages read from a folder (src/web/web_root.h), on a temporary one: what a
// path finds, the gzip form only when asked for, and nothing outside the
// folder, whatever symlinks it holds; and the check the daemon makes at start.
#include "web/web_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

namespace fs = std::filesystem;

class WebRoot : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/ringcast-web-root-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        base = tmpl;
        root = base + "/root";
        fs::create_directories(root + "/demo/img");
        write(root + "/demo/index.html", "<!doctype html><title>demo</title>");
        write(root + "/demo/app.js", std::string(3000, ';'));
        write(root + "/demo/img/index.html", "img");
        write(base + "/secret.txt", "outside the root");
    }
    void TearDown() override { fs::remove_all(base); }
    static void write(const std::string& path, const std::string& text) {
        std::ofstream(path, std::ios::binary) << text;
    }
    WebLookup read(std::string_view path, bool gzip = false) {
        return read_web_root(root, parse_web_path(path), gzip);
    }
    std::string base, root;
};

TEST_F(WebRoot, FilesFoldersAndRedirects) {
    WebLookup l = read("/demo/");
    ASSERT_EQ(l.kind, WebLookup::Kind::file);
    EXPECT_EQ(l.file.bytes, "<!doctype html><title>demo</title>");
    EXPECT_EQ(l.file.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(l.file.hash, web_hash(l.file.bytes));

    l = read("/demo/app.js");
    ASSERT_EQ(l.kind, WebLookup::Kind::file);
    EXPECT_EQ(l.file.bytes.size(), 3000u);
    EXPECT_TRUE(l.file.gzip.empty()) << "not asked for: not made";
    WebLookup moved = std::move(l);
    EXPECT_EQ(moved.file.bytes, std::string(3000, ';')) << "the views move with their bytes";

    l = read("/demo/app.js", true);
    ASSERT_EQ(l.kind, WebLookup::Kind::file);
    EXPECT_FALSE(l.file.gzip.empty());
    EXPECT_LT(l.file.gzip.size(), 100u);

    EXPECT_EQ(read("/demo").kind, WebLookup::Kind::redirect);
    EXPECT_EQ(read("/demo/img").kind, WebLookup::Kind::redirect) << "a folder with an index";
    EXPECT_EQ(read("/demo/img/").kind, WebLookup::Kind::file);
    EXPECT_EQ(read("/demo/nope").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(read("/demo/app.js/x").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(read("/nope").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(read("/nope/").kind, WebLookup::Kind::not_found);
}

TEST_F(WebRoot, NothingOutsideTheFolderIsOpened) {
    // Symlinks that lead out, absolute and relative, to a file and to a folder.
    fs::create_symlink(base + "/secret.txt", root + "/demo/abs.txt");
    fs::create_symlink("../../secret.txt", root + "/demo/rel.txt");
    fs::create_symlink(base, root + "/demo/up");
    fs::create_symlink(base, root + "/out");
    for (const char* path : {"/demo/abs.txt", "/demo/rel.txt", "/demo/up/secret.txt",
                             "/out/secret.txt", "/out/root/demo/"})
        EXPECT_EQ(read(path).kind, WebLookup::Kind::not_found) << path;
    // The path rules refuse a way up before the folder is even opened.
    EXPECT_EQ(read("/demo/../../secret.txt").kind, WebLookup::Kind::invalid);
    EXPECT_EQ(read("/demo/%2e%2e/%2e%2e/secret.txt").kind, WebLookup::Kind::invalid);
    // A symlink that stays inside is followed.
    fs::create_symlink("app.js", root + "/demo/same.js");
    EXPECT_EQ(read("/demo/same.js").kind, WebLookup::Kind::file);
}

TEST_F(WebRoot, OnlyRegularFilesAreServed) {
    ASSERT_EQ(mkfifo((root + "/demo/pipe").c_str(), 0600), 0);
    EXPECT_EQ(read("/demo/pipe").kind, WebLookup::Kind::not_found) << "and the open did not block";
    EXPECT_EQ(read("/demo/.hidden").kind, WebLookup::Kind::not_found);
    write(root + "/demo/.secret", "x");
    EXPECT_EQ(read("/demo/.secret").kind, WebLookup::Kind::not_found);
}

TEST_F(WebRoot, AFileThatCannotBeReadFailsAndSaysWhy) {
    if (geteuid() == 0) {
        // root reads every file whatever its mode: try a file over the size served instead.
        std::ofstream big(root + "/demo/big.bin", std::ios::binary);
        big.seekp(std::streamoff(kMaxWebRootFile));
        big.put('x');
    } else {
        write(root + "/demo/big.bin", "x");
        ASSERT_EQ(chmod((root + "/demo/big.bin").c_str(), 0), 0);
    }
    WebLookup l = read("/demo/big.bin");
    EXPECT_EQ(l.kind, WebLookup::Kind::failed);
    EXPECT_NE(l.problem.find(root), std::string::npos) << l.problem;
    EXPECT_NE(l.problem.find("demo/big.bin"), std::string::npos) << l.problem;
}

TEST_F(WebRoot, TheRootIsCheckedAtStart) {
    std::string why;
    EXPECT_TRUE(check_web_root(root, &why)) << why;
    EXPECT_FALSE(check_web_root(base + "/missing", &why));
    EXPECT_EQ(why, "no such directory");
    EXPECT_FALSE(check_web_root(base + "/secret.txt", &why));
    EXPECT_EQ(why, "not a directory");
}

}  // namespace
}  // namespace ringcast
