// CORS: headers only for allowed origins, "*" only without credentials, and
// preflights answered with the methods ringcast serves.
#include "http/cors.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(Cors, OffUnlessOriginsAreConfigured) {
    CorsOptions o;
    EXPECT_EQ(cors_response_headers(o, "https://a.example"), "");
    o.allowed_origins = {"https://a.example"};
    EXPECT_EQ(cors_response_headers(o, ""), "") << "no Origin: same-origin or not a browser";
    EXPECT_EQ(cors_response_headers(o, "https://b.example"), "");
    EXPECT_EQ(cors_response_headers(o, "https://a.example"),
              "Access-Control-Allow-Origin: https://a.example\r\nVary: Origin\r\n");
}

TEST(Cors, AnyOriginIsAStarUnlessCredentialsAreAllowed) {
    CorsOptions o;
    o.allowed_origins = {"*"};
    EXPECT_EQ(cors_response_headers(o, "https://x.example"),
              "Access-Control-Allow-Origin: *\r\nVary: Origin\r\n");
    o.allow_credentials = true;
    EXPECT_EQ(cors_response_headers(o, "https://x.example"),
              "Access-Control-Allow-Origin: https://x.example\r\n"
              "Access-Control-Allow-Credentials: true\r\nVary: Origin\r\n");
}

TEST(Cors, PreflightsNameTheMethodsOrRefuseTheOrigin) {
    CorsOptions o;
    o.allowed_origins = {"https://a.example"};
    o.max_age_s = 60;
    std::string ok = cors_preflight_response(o, "https://a.example", "POST", true);
    EXPECT_EQ(ok.rfind("HTTP/1.1 204 ", 0), 0u) << ok;
    EXPECT_NE(ok.find("Access-Control-Allow-Methods: POST, OPTIONS\r\n"), std::string::npos);
    EXPECT_NE(ok.find("X-API-Key"), std::string::npos);
    EXPECT_NE(ok.find("Access-Control-Max-Age: 60\r\n"), std::string::npos);
    EXPECT_TRUE(ok.ends_with("\r\n\r\n")) << "no body";
    std::string no = cors_preflight_response(o, "https://evil.example", "GET", true);
    EXPECT_EQ(no.rfind("HTTP/1.1 403 ", 0), 0u) << no;
    EXPECT_EQ(no.find("Access-Control-Allow-Origin"), std::string::npos);
}

TEST(Cors, HeadersGoAtTheEndOfTheHead) {
    EXPECT_EQ(with_headers("HTTP/1.1 200 OK\r\nA: 1\r\n\r\nbody", "B: 2\r\n"),
              "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\nbody");
    EXPECT_EQ(with_headers("x", "B: 2\r\n"), "x");
}

}  // namespace
}  // namespace ringcast
