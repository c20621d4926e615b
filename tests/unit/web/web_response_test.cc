// The answers for the pages (src/web/web_response.h): the headers every file
// carries, 304 on a matching If-None-Match, the gzip form when it is taken,
// HEAD as GET without a body, 405, 308, and the JSON errors; and the two
// header readers under them, and the content types.
#include "web/web_response.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "web/content_type.h"

namespace ringcast {
namespace {

struct Answer {
    int status = 0;
    std::map<std::string, std::string> headers;  // names as sent; each once here
    std::string body;
};

Answer parse(const std::string& r) {
    Answer a;
    const size_t end = r.find("\r\n\r\n");
    EXPECT_NE(end, std::string::npos) << r;
    a.status = std::stoi(r.substr(9, 3));
    size_t at = r.find("\r\n") + 2;
    while (at < end) {
        const size_t eol = r.find("\r\n", at);
        const std::string line = r.substr(at, eol - at);
        const size_t colon = line.find(": ");
        EXPECT_EQ(a.headers.count(line.substr(0, colon)), 0u) << line;
        a.headers[line.substr(0, colon)] = line.substr(colon + 2);
        at = eol + 2;
    }
    a.body = r.substr(end + 4);
    return a;
}

HttpRequest request(llhttp_method_t method, std::string target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = method;
    r.target = std::move(target);
    r.headers = std::move(headers);
    return r;
}

WebLookup file(std::string_view gzip = "GZ") {
    WebLookup l;
    l.kind = WebLookup::Kind::file;
    l.file = {"text/javascript; charset=utf-8", "console.log(1)", gzip,
              "0123456789abcdef0123456789abcdef"};
    return l;
}

WebLookup of_kind(WebLookup::Kind kind, std::string problem = {}) {
    WebLookup l;
    l.kind = kind;
    l.problem = std::move(problem);
    return l;
}

void expect_file_headers(const Answer& a, const std::string& etag) {
    EXPECT_EQ(a.headers.at("ETag"), etag);
    EXPECT_EQ(a.headers.at("Cache-Control"), "no-cache");
    EXPECT_EQ(a.headers.at("Vary"), "Accept-Encoding");
    EXPECT_EQ(a.headers.at("Content-Security-Policy"),
              "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
              "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    EXPECT_EQ(a.headers.at("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(a.headers.at("Referrer-Policy"), "no-referrer");
}

TEST(WebResponse, AFileWithItsHeaders) {
    Answer a = parse(web_response(request(HTTP_GET, "/demo/app.js"), file(), true));
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.headers.at("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(a.headers.at("Content-Length"), "14");
    EXPECT_EQ(a.headers.at("Connection"), "keep-alive");
    EXPECT_EQ(a.headers.count("Content-Encoding"), 0u) << "gzip was not asked for";
    expect_file_headers(a, "\"0123456789abcdef0123456789abcdef\"");
    EXPECT_EQ(a.body, "console.log(1)");

    a = parse(web_response(request(HTTP_GET, "/demo/app.js"), file(), false));
    EXPECT_EQ(a.headers.at("Connection"), "close");
}

TEST(WebResponse, TheGzipFormWhenTakenWithItsOwnETag) {
    Answer a = parse(web_response(
        request(HTTP_GET, "/demo/app.js", {{"accept-encoding", "br, gzip;q=0.5"}}), file(), true));
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.headers.at("Content-Encoding"), "gzip");
    EXPECT_EQ(a.headers.at("Content-Length"), "2");
    expect_file_headers(a, "\"0123456789abcdef0123456789abcdef-gzip\"");
    EXPECT_EQ(a.body, "GZ");

    // A file whose gzip form was not smaller has none.
    a = parse(web_response(request(HTTP_GET, "/demo/app.js", {{"accept-encoding", "gzip"}}),
                           file(""), true));
    EXPECT_EQ(a.headers.count("Content-Encoding"), 0u);
    EXPECT_EQ(a.body, "console.log(1)");
    EXPECT_EQ(a.headers.at("ETag"), "\"0123456789abcdef0123456789abcdef\"");
}

TEST(WebResponse, IfNoneMatchGets304ForTheFormItNames) {
    const std::string etag = "\"0123456789abcdef0123456789abcdef\"";
    Answer a = parse(
        web_response(request(HTTP_GET, "/demo/app.js", {{"if-none-match", etag}}), file(), true));
    EXPECT_EQ(a.status, 304);
    EXPECT_EQ(a.headers.count("Content-Length"), 0u);
    EXPECT_EQ(a.headers.count("Content-Type"), 0u);
    expect_file_headers(a, etag);
    EXPECT_EQ(a.body, "");

    // The gzip form's tag does not validate the plain form, and the other way round.
    a = parse(
        web_response(request(HTTP_GET, "/demo/app.js",
                             {{"if-none-match", "\"0123456789abcdef0123456789abcdef-gzip\""}}),
                     file(), true));
    EXPECT_EQ(a.status, 200);
    a = parse(web_response(
        request(HTTP_GET, "/demo/app.js", {{"if-none-match", etag}, {"accept-encoding", "gzip"}}),
        file(), true));
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.headers.at("Content-Encoding"), "gzip");

    // A list, weak tags, "*".
    a = parse(web_response(
        request(HTTP_HEAD, "/demo/app.js", {{"if-none-match", "\"x\", W/" + etag}}), file(), true));
    EXPECT_EQ(a.status, 304);
    a = parse(
        web_response(request(HTTP_GET, "/demo/app.js", {{"if-none-match", "*"}}), file(), true));
    EXPECT_EQ(a.status, 304);
    a = parse(web_response(request(HTTP_GET, "/demo/app.js", {{"if-none-match", "\"other\""}}),
                           file(), true));
    EXPECT_EQ(a.status, 200);
}

TEST(WebResponse, HeadIsGetWithoutTheBody) {
    for (const WebLookup& l :
         {file(), of_kind(WebLookup::Kind::not_found), of_kind(WebLookup::Kind::redirect),
          of_kind(WebLookup::Kind::invalid, "bad")}) {
        const std::string get = web_response(request(HTTP_GET, "/demo/x"), l, true);
        const std::string head = web_response(request(HTTP_HEAD, "/demo/x"), l, true);
        EXPECT_EQ(head, get.substr(0, get.find("\r\n\r\n") + 4));
    }
}

TEST(WebResponse, OtherMethodsAre405WithAllow) {
    for (llhttp_method_t m : {HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OPTIONS, HTTP_PATCH}) {
        for (const WebLookup& l : {file(), of_kind(WebLookup::Kind::redirect)}) {
            Answer a = parse(web_response(request(m, "/demo/"), l, true));
            EXPECT_EQ(a.status, 405);
            EXPECT_EQ(a.headers.at("Allow"), "GET, HEAD");
            EXPECT_NE(a.body.find("\"code\":\"method_not_allowed\""), std::string::npos) << a.body;
        }
    }
}

TEST(WebResponse, ARedirectKeepsTheQuery) {
    Answer a =
        parse(web_response(request(HTTP_GET, "/demo"), of_kind(WebLookup::Kind::redirect), true));
    EXPECT_EQ(a.status, 308);
    EXPECT_EQ(a.headers.at("Location"), "/demo/");
    a = parse(web_response(request(HTTP_GET, "/demo?token=a%20b"),
                           of_kind(WebLookup::Kind::redirect), true));
    EXPECT_EQ(a.headers.at("Location"), "/demo/?token=a%20b");
}

TEST(WebResponse, ErrorsAreTheDaemonsJson) {
    Answer a = parse(web_response(request(HTTP_GET, "/demo/nope.js"),
                                  of_kind(WebLookup::Kind::not_found), true));
    EXPECT_EQ(a.status, 404);
    EXPECT_EQ(a.headers.at("Content-Type"), "application/json");
    EXPECT_EQ(a.body,
              R"({"error":{"code":"not_found","message":"no page or file at /demo/nope.js"}})");

    a = parse(web_response(request(HTTP_GET, "/demo/../x"),
                           of_kind(WebLookup::Kind::invalid, "the path has a '..'"), true));
    EXPECT_EQ(a.status, 400);
    EXPECT_NE(a.body.find("\"code\":\"bad_request\""), std::string::npos) << a.body;
    EXPECT_NE(a.body.find("the path has a '..': /demo/../x"), std::string::npos) << a.body;

    a = parse(web_response(request(HTTP_GET, "/demo/big.js"),
                           of_kind(WebLookup::Kind::failed, "/srv/web/demo/big.js: too big"),
                           true));
    EXPECT_EQ(a.status, 500);
    EXPECT_EQ(a.body.find("/srv/web"), std::string::npos)
        << "the folder is the log's, not the client's";
}

TEST(WebResponse, AcceptEncodingTakesGzipByItsQValue) {
    for (const char* yes : {"gzip", "GZIP", "deflate, gzip", "gzip;q=1", "gzip; q=0.001", "x-gzip",
                            "*", "br;q=1, *;q=0.1", " gzip ,br"})
        EXPECT_TRUE(accepts_gzip(yes)) << yes;
    for (const char* no : {"", "br", "identity", "gzip;q=0", "gzip; q=0.000", "gzip;q=0, *",
                           "*;q=0", "gzipx", "deflate, br"})
        EXPECT_FALSE(accepts_gzip(no)) << no;
}

TEST(WebResponse, ETagMatchingIsWeakAndTakesLists) {
    EXPECT_TRUE(etag_matches("\"a\"", "\"a\""));
    EXPECT_TRUE(etag_matches("W/\"a\"", "\"a\""));
    EXPECT_TRUE(etag_matches("\"b\", \"a\"", "\"a\""));
    EXPECT_TRUE(etag_matches(" * ", "\"a\""));
    EXPECT_FALSE(etag_matches("", "\"a\""));
    EXPECT_FALSE(etag_matches("a", "\"a\""));
    EXPECT_FALSE(etag_matches("\"a-gzip\"", "\"a\""));
}

TEST(WebResponse, ContentTypesFromTheName) {
    EXPECT_EQ(content_type_for("demo/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("demo/app.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(content_type_for("demo/app.css"), "text/css; charset=utf-8");
    EXPECT_EQ(content_type_for("demo/app.js.map"), "application/json");
    EXPECT_EQ(content_type_for("demo/LOGO.SVG"), "image/svg+xml");
    EXPECT_EQ(content_type_for("demo/font.woff2"), "font/woff2");
    EXPECT_EQ(content_type_for("demo/noise.bin"), "application/octet-stream");
    EXPECT_EQ(content_type_for("demo.d/README"), "application/octet-stream");
}

}  // namespace
}  // namespace ringcast
