// The pages ([web]; docs/protocol.md, "Pages") through the real daemon, served
// from a web root of test files: every file with the strict CSP, nosniff,
// no-referrer, no-cache and its ETag (the SHA-256 of the bytes, computed here
// on our own); 304 on If-None-Match; the gzip form when asked for, which
// inflates back to the file; HEAD; 405 with Allow; JSON 404s; the redirect to
// the slash; every way out of the folder refused; a change on disk served at
// the next request; pipelined requests answered in order while the worker
// reads. Then [web] enabled = false, a root the daemon refuses to start with,
// and the pages built into this ringcastd.
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"

namespace ringcast::itest {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const std::string kIndex =
    "<!doctype html>\n<html><head><link rel=\"stylesheet\" href=\"./app.css\">"
    "<script type=\"module\" src=\"./app.js\"></script></head>"
    "<body><div id=\"root\"></div></body></html>\n";

std::string app_js() {
    std::string js;
    for (int i = 0; i < 200; ++i)
        js += "console.log('ringcast line " + std::to_string(i) + "');\n";
    return js;
}

// "<32 hex digits>": the first 128 bits of the SHA-256 of `bytes`, quoted.
std::string etag_of(std::string_view bytes, std::string_view suffix = {}) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (int i = 0; i < 16; ++i) {
        out += hex[d[i] >> 4];
        out += hex[d[i] & 15];
    }
    return out + std::string(suffix) + "\"";
}

std::string gunzip(const std::string& packed) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return "(inflateInit2 failed)";
    std::string out(1 << 20, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = uInt(packed.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = inflate(&z, Z_FINISH);
    out.resize(out.size() - z.avail_out);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? out : "(not a whole gzip stream)";
}

void write_file(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// A daemon serving a web root of test files:
//   root/demo/{index.html, app.js, app.css, img/dot.txt, sub/index.html, .secret}
//   root/demo/leak.txt -> ../../secret.txt (a symlink out), secret.txt beside root.
class WebPages : public ::testing::Test {
protected:
    void SetUp() override {
        root = files.path() + "/root";
        write_file(root + "/demo/index.html", kIndex);
        write_file(root + "/demo/app.js", app_js());
        write_file(root + "/demo/app.css", "#root { color: #333; }\n");
        write_file(root + "/demo/img/dot.txt", "a nested file\n");
        write_file(root + "/demo/sub/index.html", "<!doctype html><p>sub</p>\n");
        write_file(root + "/demo/.secret", "hidden\n");
        write_file(files.path() + "/secret.txt", std::string(kSecret));
        fs::create_symlink("../../secret.txt", root + "/demo/leak.txt");
        ASSERT_TRUE(d.start({.config = "[web]\nroot = \"" + root + "\"\n"})) << d.error();
        c = HttpClient(d.port());
        ASSERT_TRUE(c.connect()) << c.error();
    }
    HttpResponse get(const std::string& target, const Headers& headers = {},
                     std::string_view method = "GET") {
        auto r = c.request(method, target, {}, headers);
        EXPECT_TRUE(r) << target << ": " << c.error();
        return r ? *r : HttpResponse{};
    }
    void expect_file(const HttpResponse& r, std::string_view type, const std::string& bytes) {
        EXPECT_EQ(r.status, 200) << r.describe();
        EXPECT_EQ(r.header("content-type"), type);
        EXPECT_EQ(r.header("content-length"), std::to_string(bytes.size()));
        EXPECT_EQ(r.header("content-encoding"), std::nullopt);
        EXPECT_EQ(r.header("etag"), etag_of(bytes));
        EXPECT_EQ(r.header("cache-control"), "no-cache");
        EXPECT_EQ(r.header("vary"), "Accept-Encoding");
        EXPECT_EQ(r.header("content-security-policy"), kCsp);
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
        EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
        EXPECT_EQ(r.body, bytes);
    }

    static constexpr std::string_view kSecret = "the secret outside the root\n";
    TempDir files;
    std::string root;
    DaemonProcess d;
    HttpClient c{0};  // to the daemon, connected
};

TEST_F(WebPages, EveryFileWithItsHeaders) {
    expect_file(get("/demo/"), "text/html; charset=utf-8", kIndex);
    expect_file(get("/demo/index.html"), "text/html; charset=utf-8", kIndex);
    expect_file(get("/demo/app.js"), "text/javascript; charset=utf-8", app_js());
    expect_file(get("/demo/app.css"), "text/css; charset=utf-8", "#root { color: #333; }\n");
    expect_file(get("/demo/img/dot.txt"), "text/plain; charset=utf-8", "a nested file\n");
    expect_file(get("/demo/sub/"), "text/html; charset=utf-8", "<!doctype html><p>sub</p>\n");
    expect_file(get("/demo/img/dot%2etxt"), "text/plain; charset=utf-8", "a nested file\n");
    // The query is not part of the file's name.
    expect_file(get("/demo/app.css?v=2"), "text/css; charset=utf-8", "#root { color: #333; }\n");
}

TEST_F(WebPages, IfNoneMatchIsAnswered304OnTheSameConnection) {
    const std::string etag = etag_of(app_js());
    HttpResponse r = get("/demo/app.js", {{"If-None-Match", etag}});
    EXPECT_EQ(r.status, 304) << r.describe();
    EXPECT_EQ(r.header("etag"), etag);
    EXPECT_EQ(r.header("cache-control"), "no-cache");
    EXPECT_EQ(r.header("content-security-policy"), kCsp);
    EXPECT_EQ(r.header("content-length"), std::nullopt) << "a 304 has no body to measure";
    EXPECT_EQ(r.body, "");
    // A list with a weak form of it; then a stale tag: the file again.
    EXPECT_EQ(get("/demo/app.js", {{"If-None-Match", "\"old\", W/" + etag}}).status, 304);
    expect_file(get("/demo/app.js", {{"If-None-Match", "\"old\""}}),
                "text/javascript; charset=utf-8", app_js());
    // The connection is still in step after the 304s.
    expect_file(get("/demo/"), "text/html; charset=utf-8", kIndex);
}

TEST_F(WebPages, GzipWhenAskedForThatInflatesToTheFile) {
    HttpResponse r = get("/demo/app.js", {{"Accept-Encoding", "br, gzip"}});
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.header("content-encoding"), "gzip");
    EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.header("vary"), "Accept-Encoding");
    EXPECT_EQ(r.header("content-security-policy"), kCsp);
    const std::string gzip_etag = etag_of(app_js(), "-gzip");
    EXPECT_EQ(r.header("etag"), gzip_etag) << "the gzip form has its own strong tag";
    EXPECT_LT(r.body.size(), app_js().size() / 4);
    EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
    EXPECT_EQ(gunzip(r.body), app_js());

    HttpResponse again =
        get("/demo/app.js", {{"Accept-Encoding", "gzip"}, {"If-None-Match", gzip_etag}});
    EXPECT_EQ(again.status, 304) << again.describe();
    // Refused with q=0, or not asked for: the plain bytes.
    expect_file(get("/demo/app.js", {{"Accept-Encoding", "gzip;q=0, br"}}),
                "text/javascript; charset=utf-8", app_js());
    expect_file(get("/demo/app.js"), "text/javascript; charset=utf-8", app_js());
}

TEST_F(WebPages, HeadIsTheHeadOfGet) {
    TcpConnection raw;
    ASSERT_TRUE(raw.connect(d.port(), Deadline(kIoTimeout))) << std::strerror(errno);
    ASSERT_TRUE(
        raw.send_all("HEAD /demo/app.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: "
                     "gzip\r\nConnection: close\r\n\r\n",
                     Deadline(kIoTimeout)));
    RecvResult got = raw.read_to_eof(Deadline(kIoTimeout));
    ASSERT_EQ(got.status, IoStatus::eof) << to_string(got.status);
    const size_t end = got.bytes.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos) << got.bytes;
    EXPECT_EQ(end + 4, got.bytes.size()) << "no body after the head: " << got.bytes;
    HttpResponse head;
    ASSERT_TRUE(parse_response_head(std::string_view(got.bytes).substr(0, end), &head));
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("content-encoding"), "gzip");
    EXPECT_EQ(head.header("etag"), etag_of(app_js(), "-gzip"));

    HttpResponse gzip_get = get("/demo/app.js", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(head.header("content-length"), std::to_string(gzip_get.body.size()))
        << "HEAD says how long GET's body is";
}

TEST_F(WebPages, OtherMethodsAre405WithAllow) {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
        for (const char* path : {"/demo/", "/demo/app.js", "/demo"}) {
            HttpResponse r = get(path, {}, method);
            EXPECT_EQ(check_json_error(r, 405, "method_not_allowed"), "") << method << " " << path;
            EXPECT_EQ(r.header("allow"), "GET, HEAD") << method << " " << path;
        }
    }
    // A path that is not there is not there, whatever the method.
    EXPECT_EQ(check_json_error(get("/demo/nope", {}, "POST"), 404, "not_found"), "");
}

TEST_F(WebPages, UnknownPathsAreJson404s) {
    for (const char* path : {"/demo/nope.js", "/demo/img/", "/demo/img", "/nopage/", "/nopage",
                             "/demo/app.js/", "/demo/.secret", "/demo/%2esecret", "/demo/sub/x"}) {
        HttpResponse r = get(path);
        EXPECT_EQ(check_json_error(r, 404, "not_found"), "") << path << ": " << r.describe();
        EXPECT_EQ(r.header("content-security-policy"), std::nullopt) << path;
    }
    EXPECT_NE(get("/demo/nope.js").body.find("/demo/nope.js"), std::string::npos);
    // The API's paths stay the API's.
    HttpResponse api = get("/api/nope");
    EXPECT_EQ(check_json_error(api, 404, "not_found"), "");
    EXPECT_NE(api.body.find("no endpoint at /api/nope"), std::string::npos) << api.body;
}

TEST_F(WebPages, APageOrFolderWithoutItsSlashIsRedirected) {
    HttpResponse r = get("/demo");
    EXPECT_EQ(r.status, 308) << r.describe();
    EXPECT_EQ(r.header("location"), "/demo/");
    r = get("/demo?lastEventId=abc-1");
    EXPECT_EQ(r.status, 308);
    EXPECT_EQ(r.header("location"), "/demo/?lastEventId=abc-1");
    r = get("/demo/sub");
    EXPECT_EQ(r.status, 308) << r.describe();
    EXPECT_EQ(r.header("location"), "/demo/sub/");
    expect_file(get(*r.header("location")), "text/html; charset=utf-8",
                "<!doctype html><p>sub</p>\n");
}

TEST_F(WebPages, NothingOutsideTheRootIsReachable) {
    // Each target sent as is (a browser would resolve the dots; an attacker does not).
    for (const char* target :
         {"/demo/../../secret.txt", "/demo/../secret.txt", "/../secret.txt",
          "/demo/%2e%2e/%2e%2e/secret.txt", "/demo/%2E%2E/%2E%2E/secret.txt",
          "/demo/..%2f..%2fsecret.txt", "/demo/%2e%2e%2f%2e%2e%2fsecret.txt",
          "/demo/..%5c..%5csecret.txt", "/demo/.%2e/.%2e/secret.txt", "//secret.txt",
          "/demo//../secret.txt", "/demo/%00/../secret.txt", "/demo/./app.js"}) {
        HttpResponse r = get(target);
        EXPECT_EQ(check_json_error(r, 400, "bad_request"), "") << target << ": " << r.describe();
        EXPECT_EQ(r.body.find("secret outside"), std::string::npos) << target;
    }
    // A symlink that leads out of the folder is not followed.
    HttpResponse leak = get("/demo/leak.txt");
    EXPECT_EQ(check_json_error(leak, 404, "not_found"), "") << leak.describe();
    EXPECT_NE(d.log().find("demo/leak.txt leads outside it"), std::string::npos) << d.log();
    // The daemon is fine and answers as before.
    expect_file(get("/demo/app.css"), "text/css; charset=utf-8", "#root { color: #333; }\n");
}

TEST_F(WebPages, AChangeOnDiskIsServedAtTheNextRequest) {
    const std::string old_etag = etag_of(app_js());
    EXPECT_EQ(get("/demo/app.js", {{"If-None-Match", old_etag}}).status, 304);
    write_file(root + "/demo/app.js", "console.log('rebuilt');\n");
    expect_file(get("/demo/app.js", {{"If-None-Match", old_etag}}),
                "text/javascript; charset=utf-8", "console.log('rebuilt');\n");
    write_file(root + "/admin/index.html", "<p>new page</p>");
    EXPECT_EQ(get("/admin").status, 308);
    expect_file(get("/admin/"), "text/html; charset=utf-8", "<p>new page</p>");
}

TEST_F(WebPages, PipelinedRequestsAreAnsweredInOrder) {
    // Read from the root (on the worker), answered at once (an API 404), read again.
    std::string batch = build_request("GET", "/demo/app.css") + build_request("GET", "/api/nope") +
                        build_request("GET", "/demo/img/dot.txt") +
                        build_request("HEAD", "/demo/") + build_request("GET", "/demo/nope");
    ASSERT_TRUE(c.send(batch)) << c.error();
    auto first = c.read_response();
    ASSERT_TRUE(first) << c.error();
    expect_file(*first, "text/css; charset=utf-8", "#root { color: #333; }\n");
    auto second = c.read_response();
    ASSERT_TRUE(second) << c.error();
    EXPECT_EQ(check_json_error(*second, 404, "not_found"), "");
    EXPECT_NE(second->body.find("/api/nope"), std::string::npos) << second->body;
    auto third = c.read_response();
    ASSERT_TRUE(third) << c.error();
    expect_file(*third, "text/plain; charset=utf-8", "a nested file\n");
    // HEAD's head, then the next response straight after it (Content-Length is
    // GET's, so read by hand): the 404.
    Deadline dl(kIoTimeout);
    std::string rest = c.pending();
    while (rest.find("\r\n\r\n") == std::string::npos ||
           rest.find("not_found") == std::string::npos) {
        RecvResult more = c.conn().recv_some(dl);
        ASSERT_EQ(more.status, IoStatus::ok) << rest;
        rest += more.bytes;
    }
    EXPECT_TRUE(rest.starts_with("HTTP/1.1 200 OK\r\n")) << rest;
    const size_t head_end = rest.find("\r\n\r\n");
    EXPECT_TRUE(rest.substr(head_end + 4).starts_with("HTTP/1.1 404 Not Found\r\n")) << rest;
}

TEST(WebPagesConfig, DisabledPagesAre404LikeAnyUnknownPath) {
    TempDir files;
    write_file(files.path() + "/root/demo/index.html", kIndex);
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 1, .config = "[web]\nenabled = false\nroot = \"" + files.path() + "/root\"\n"}))
        << d.error();
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    for (const char* path : {"/demo/", "/demo", "/demo/index.html"}) {
        auto r = c.request("GET", path);
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(check_json_error(*r, 404, "not_found"), "") << path << ": " << r->describe();
        EXPECT_NE(r->body.find("no endpoint at"), std::string::npos) << r->body;
    }
    EXPECT_NE(d.log().find("pages: off ([web] enabled = false)"), std::string::npos) << d.log();

    // Off, a root is not looked at: a missing one does not stop the start.
    DaemonProcess off;
    ASSERT_TRUE(
        off.start({.shards = 1,
                   .config = "[web]\nenabled = false\nroot = \"" + files.path() + "/missing\"\n"}))
        << off.error();
}

TEST(WebPagesConfig, ARootTheDaemonCannotServeStopsItSayingWhichAndWhy) {
    TempDir dir;
    const std::string missing = dir.path() + "/no-such-folder";
    const std::string file = dir.write("a-file", "not a folder\n");
    struct Case {
        std::string root;
        std::string why;
    };
    for (const Case& k : {Case{missing, "no such directory"}, Case{file, "not a directory"}}) {
        const std::string conf =
            dir.write("web.toml", "# pages\n[web]\nroot = \"" + k.root + "\"\n");
        const std::string says = "web.root \"" + k.root + "\": " + k.why;
        CommandResult start = run_ringcastd(
            {"--http", "127.0.0.1:0", "--data-dir", dir.path() + "/data", "--config", conf},
            Deadline(10s));
        ASSERT_TRUE(start.exit_code) << k.root << ": the daemon started";
        EXPECT_EQ(*start.exit_code, 2) << start.err;
        EXPECT_NE(start.err.find("ringcastd: " + conf + ":3: " + says), std::string::npos)
            << start.err;

        CommandResult check = run_ringcastd({"--check-config", conf});
        ASSERT_TRUE(check.exit_code);
        EXPECT_EQ(*check.exit_code, 2) << check.out << check.err;
        EXPECT_NE(check.err.find(conf + ":3: " + says), std::string::npos) << check.err;
    }
}

// The pages built into this ringcastd (web/pages/, maybe none): the start-up
// line lists them, and each is served with its headers; a name that is not
// one is a JSON 404.
TEST(WebPagesEmbedded, TheBuiltInPagesAreServedAsTheStartupLineSays) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    const std::string log = d.log();
    const size_t at = log.find("pages: ");  // a JSON "msg" (stderr is a pipe) or text
    ASSERT_NE(at, std::string::npos) << log;
    const std::string line = log.substr(at, log.find('\n', at) - at);
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    const std::string base = "http://127.0.0.1:" + std::to_string(d.port());
    std::vector<std::string> pages;
    for (size_t p = line.find(base); p != std::string::npos; p = line.find(base, p + 1)) {
        const size_t end = line.find_first_of(", \"", p);
        pages.push_back(line.substr(p + base.size(), end - p - base.size()));
    }
    if (pages.empty()) {
        EXPECT_NE(line.find("none were built into this ringcastd"), std::string::npos) << line;
    }
    for (const std::string& page : pages) {
        auto r = c.request("GET", page, {}, {{"Accept-Encoding", "gzip"}});
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(r->status, 200) << page << ": " << r->describe();
        EXPECT_EQ(r->header("content-security-policy"), kCsp) << page;
        EXPECT_EQ(r->header("content-type"), "text/html; charset=utf-8") << page;
        const std::string html =
            r->header("content-encoding") == "gzip" ? gunzip(r->body) : r->body;
        EXPECT_EQ(r->header("etag"),
                  etag_of(html, r->header("content-encoding") == "gzip" ? "-gzip" : ""));
        EXPECT_NE(html.find("src=\"./app.js\""), std::string::npos) << html;
        auto js = c.request("GET", page + "app.js");
        ASSERT_TRUE(js) << c.error();
        EXPECT_EQ(js->status, 200) << page;
        EXPECT_EQ(js->header("content-type"), "text/javascript; charset=utf-8");
    }
    auto none = c.request("GET", "/no-such-page/");
    ASSERT_TRUE(none) << c.error();
    EXPECT_EQ(check_json_error(*none, 404, "not_found"), "") << none->describe();
}

}  // namespace
}  // namespace ringcast::itest
