// The table tools/embed_web.py generates (src/web/embedded_files.h), here from
// the files of tests/unit/web/fixture (fixture.manifest): every file's bytes as
// they are on disk, a gzip form that inflates to them (none where gzip was not
// smaller), and the hash the daemon computes for a web root. Then WebPages
// looking pages up in it: the file, the folder's index, the redirect.
#include "web/embedded_files.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "web/web_file.h"
#include "web/web_pages.h"

namespace ringcast {
namespace {

// The fixture's folder: meson test sets it; by hand, skipped unless set.
std::string fixture_dir() {
    const char* dir = std::getenv("RINGCAST_WEB_FIXTURE");
    return dir ? dir : "";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    EXPECT_TRUE(f) << path;
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string gunzip(std::string_view packed) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out(1 << 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = uInt(packed.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return out;
}

TEST(EmbeddedFiles, TheTableHoldsTheFilesAsBuilt) {
    if (fixture_dir().empty())
        GTEST_SKIP() << "RINGCAST_WEB_FIXTURE is not set (meson test sets it)";
    std::span<const EmbeddedFile> files = embedded_web_files();
    ASSERT_EQ(files.size(), 4u);
    const char* expected[] = {"demo/app.css", "demo/app.js", "demo/img/noise.bin",
                              "demo/index.html"};
    for (size_t i = 0; i < files.size(); ++i) {
        const EmbeddedFile& f = files[i];
        EXPECT_EQ(f.path, expected[i]) << "sorted by path";
        EXPECT_EQ(f.bytes, read_file(fixture_dir() + "/" + std::string(f.path))) << f.path;
        EXPECT_EQ(f.hash, web_hash(f.bytes)) << f.path << ": the build and the daemon must agree";
        if (f.path == "demo/img/noise.bin") {
            EXPECT_TRUE(f.gzip.empty()) << "gzip is larger for noise: not kept";
        } else {
            ASSERT_FALSE(f.gzip.empty()) << f.path;
            EXPECT_LT(f.gzip.size(), f.bytes.size()) << f.path;
            EXPECT_EQ(gunzip(f.gzip), f.bytes) << f.path;
        }
    }
    EXPECT_EQ(embedded_pages(files), std::vector<std::string>{"demo"});
}

TEST(EmbeddedFiles, TheDaemonsGzipFollowsTheSameRule) {
    const std::string text(4000, 'a');
    const std::string packed = gzip_if_smaller(text);
    ASSERT_FALSE(packed.empty());
    EXPECT_EQ(gunzip(packed), text);
    EXPECT_TRUE(gzip_if_smaller("ab").empty()) << "not smaller: none";
    EXPECT_EQ(web_hash(""), "e3b0c44298fc1c149afbf4c8996fb924") << "SHA-256 of nothing, 128 bits";
}

TEST(EmbeddedFiles, PagesAreLookedUpInTheTable) {
    if (fixture_dir().empty())
        GTEST_SKIP() << "RINGCAST_WEB_FIXTURE is not set (meson test sets it)";
    WebPages pages({.enabled = true, .root = "", .files = embedded_web_files()}, nullptr, 0);
    auto find = [&](std::string_view path) { return pages.find(parse_web_path(path)); };

    WebLookup l = find("/demo/");
    ASSERT_EQ(l.kind, WebLookup::Kind::file);
    EXPECT_EQ(l.file.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(l.file.bytes, embedded_web_files()[3].bytes);
    EXPECT_FALSE(pages.reads_disk(parse_web_path("/demo/")));

    l = find("/demo/app.js");
    ASSERT_EQ(l.kind, WebLookup::Kind::file);
    EXPECT_EQ(l.file.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(l.file.hash, embedded_web_files()[1].hash);
    EXPECT_EQ(find("/demo/img/noise.bin").kind, WebLookup::Kind::file);

    EXPECT_EQ(find("/demo").kind, WebLookup::Kind::redirect);
    EXPECT_EQ(find("/demo/index.html").kind, WebLookup::Kind::file);
    EXPECT_EQ(find("/demo/img").kind, WebLookup::Kind::not_found) << "no img/index.html";
    EXPECT_EQ(find("/demo/img/").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(find("/demo/nope.js").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(find("/admin").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(find("/admin/").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(find("/demo/app.js/").kind, WebLookup::Kind::not_found);
    EXPECT_EQ(find("/demo/.ringcast-web").kind, WebLookup::Kind::not_found);
    l = find("/demo/%2e%2e/demo/app.js");
    EXPECT_EQ(l.kind, WebLookup::Kind::invalid);
    EXPECT_FALSE(l.problem.empty());
}

}  // namespace
}  // namespace ringcast
