// What a request path may name among the pages (src/web/web_path.h): pages
// and their files, the page name alone, the API's paths left alone, and every
// way of reaching outside refused before anything is looked up.
#include "web/web_path.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

using Kind = WebPath::Kind;

TEST(WebPath, PagesAndTheirFiles) {
    WebPath p = parse_web_path("/demo/");
    EXPECT_EQ(p.kind, Kind::page_file);
    EXPECT_EQ(p.rel, "demo/");
    EXPECT_TRUE(p.folder());

    p = parse_web_path("/demo/app.js");
    EXPECT_EQ(p.kind, Kind::page_file);
    EXPECT_EQ(p.rel, "demo/app.js");
    EXPECT_FALSE(p.folder());

    p = parse_web_path("/admin/img/logo%20big.png");
    EXPECT_EQ(p.kind, Kind::page_file);
    EXPECT_EQ(p.rel, "admin/img/logo big.png") << "segments are %-decoded";

    p = parse_web_path("/demo/a+b");
    EXPECT_EQ(p.rel, "demo/a+b") << "'+' is itself in a path";

    p = parse_web_path("/demo/img/");
    EXPECT_EQ(p.rel, "demo/img/");
    EXPECT_TRUE(p.folder());
}

TEST(WebPath, APageNameAloneIsThePageWithoutItsSlash) {
    WebPath p = parse_web_path("/demo");
    EXPECT_EQ(p.kind, Kind::page);
    EXPECT_EQ(p.rel, "demo");
}

TEST(WebPath, TheRootAndTheApiAreNotThePages) {
    for (const char* path : {"/", "", "/api", "/api/", "/api/stats", "/api/x/y", "/%61pi/x"})
        EXPECT_EQ(parse_web_path(path).kind, Kind::not_pages) << path;
    EXPECT_EQ(parse_web_path("/apix/").kind, Kind::page_file) << "only the segment 'api'";
    EXPECT_EQ(parse_web_path("/demo/api").kind, Kind::page_file) << "only as the first segment";
}

TEST(WebPath, DotSegmentsAreRefusedEncodedOrNot) {
    for (const char* path : {"/..", "/../etc/passwd", "/demo/../admin/", "/demo/..",
                             "/demo/./app.js", "/demo/.", "/%2e%2e/etc/passwd", "/demo/%2E%2E/x",
                             "/demo/.%2e/x", "/demo/%2e./x", "/demo/%2e/x", "/./demo/"}) {
        WebPath p = parse_web_path(path);
        EXPECT_EQ(p.kind, Kind::invalid) << path;
        EXPECT_NE(p.why.find(".."), std::string::npos) << path << ": " << p.why;
        EXPECT_TRUE(p.rel.empty()) << path;
    }
}

TEST(WebPath, EscapesThatWouldChangeWhatThePathNamesAreRefused) {
    for (const char* path : {"/demo/..%2fadmin", "/demo/%2F", "/demo/a%2fb", "/demo/%5c..%5cx",
                             "/demo/a%00.js", "/demo/a%0d%0aX", "/demo/%7f", "/demo\\..\\x"}) {
        WebPath p = parse_web_path(path);
        EXPECT_EQ(p.kind, Kind::invalid) << path;
        EXPECT_NE(p.why.find("byte"), std::string::npos) << path << ": " << p.why;
    }
}

TEST(WebPath, MalformedEscapesAndEmptySegmentsAreRefused) {
    for (const char* path : {"/demo/%", "/demo/%2", "/demo/%zz", "/demo/a%g0"})
        EXPECT_EQ(parse_web_path(path).kind, Kind::invalid) << path;
    for (const char* path : {"//", "//etc/passwd", "/demo//app.js", "/demo/img//"}) {
        WebPath p = parse_web_path(path);
        EXPECT_EQ(p.kind, Kind::invalid) << path;
        EXPECT_NE(p.why.find("empty segment"), std::string::npos) << path;
    }
}

TEST(WebPath, DotFilesAreNeverServed) {
    for (const char* path :
         {"/demo/.ringcast-web", "/.git/config", "/demo/.hidden/app.js", "/demo/%2egit", "/.demo"})
        EXPECT_EQ(parse_web_path(path).kind, Kind::hidden) << path;
    EXPECT_EQ(parse_web_path("/demo/a.b.js").kind, Kind::page_file);
}

}  // namespace
}  // namespace ringcast
