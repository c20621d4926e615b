// Finding a request's token: Authorization header, then cookie, then query
// parameter; a malformed Authorization header is an error, not "anonymous".
#include "auth/token_source.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

using Where = FoundToken::Where;

HttpRequest request(std::string target,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.target = std::move(target);
    r.headers = std::move(headers);
    return r;
}

struct Found {
    std::optional<FoundToken> token;
    std::string error;
};

Found find(const HttpRequest& req, const AuthOptions& o = AuthOptions{}) {
    Found f;
    f.token = find_token(req, o, &f.error);
    return f;
}

::testing::AssertionResult found_in(const Found& f, std::string_view token, Where where) {
    if (!f.token) return ::testing::AssertionFailure() << "no token; error: " << f.error;
    if (f.token->token != token || f.token->where != where)
        return ::testing::AssertionFailure()
               << "found \"" << f.token->token << "\" in " << token_where_name(f.token->where);
    if (!f.error.empty()) return ::testing::AssertionFailure() << "error set: " << f.error;
    return ::testing::AssertionSuccess();
}

TEST(TokenSource, HeaderThenCookieThenQuery) {
    auto all = request(
        "/api/sse/stream?channels=a&token=from-query",
        {{"authorization", "Bearer from-header"}, {"cookie", "ringcast_token=from-cookie"}});
    EXPECT_TRUE(found_in(find(all), "from-header", Where::header));

    auto cookie_and_query =
        request("/api/sse/stream?token=from-query", {{"cookie", "ringcast_token=from-cookie"}});
    EXPECT_TRUE(found_in(find(cookie_and_query), "from-cookie", Where::cookie));

    EXPECT_TRUE(
        found_in(find(request("/api/sse/stream?token=from-query")), "from-query", Where::query));
}

TEST(TokenSource, DisabledSourcesAreNotRead) {
    auto all = request("/s?token=from-query", {{"authorization", "Bearer from-header"},
                                               {"cookie", "ringcast_token=from-cookie"}});
    AuthOptions o;
    o.header = false;
    EXPECT_TRUE(found_in(find(all, o), "from-cookie", Where::cookie));
    o.cookie = "";
    EXPECT_TRUE(found_in(find(all, o), "from-query", Where::query));
    o.query = "";
    Found none = find(all, o);
    EXPECT_FALSE(none.token);
    EXPECT_TRUE(none.error.empty());

    // With the header disabled, even a malformed Authorization is not our business.
    AuthOptions no_header;
    no_header.header = false;
    EXPECT_TRUE(found_in(find(request("/s?token=q", {{"authorization", "Basic dTpw"}}), no_header),
                         "q", Where::query));
}

TEST(TokenSource, ConfiguredNamesAreUsed) {
    AuthOptions o;
    o.cookie = "session";
    o.query = "access_token";
    auto req = request("/s?token=wrong&access_token=right", {{"cookie", "ringcast_token=wrong"}});
    EXPECT_TRUE(found_in(find(req, o), "right", Where::query));
    req.headers.push_back({"cookie", "session=cookie-right"});
    EXPECT_TRUE(found_in(find(req, o), "cookie-right", Where::cookie));
}

TEST(TokenSource, MissingEverywhereIsAnonymous) {
    Found f = find(request("/api/sse/stream?channels=news",
                           {{"host", "example.com"}, {"cookie", "theme=dark; lang=en"}}));
    EXPECT_FALSE(f.token);
    EXPECT_TRUE(f.error.empty());
    f = find(request("/api/sse/stream"));
    EXPECT_FALSE(f.token);
    EXPECT_TRUE(f.error.empty());
}

TEST(TokenSource, EmptyCookieOrQueryValueIsAbsent) {
    Found f = find(request("/s?token=", {{"cookie", "ringcast_token="}}));
    EXPECT_FALSE(f.token);
    EXPECT_TRUE(f.error.empty());
    EXPECT_TRUE(found_in(find(request("/s?token=q", {{"cookie", "ringcast_token=\"\""}})), "q",
                         Where::query));
}

TEST(TokenSourceBearer, SchemeIsCaseInsensitive) {
    for (const char* value :
         {"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER abc.def.ghi", "bEaReR   abc.def.ghi",
          "Bearer abc.def.ghi  ", "Bearer\tabc.def.ghi"})
        EXPECT_TRUE(
            found_in(find(request("/s", {{"authorization", value}})), "abc.def.ghi", Where::header))
            << value;
}

TEST(TokenSourceBearer, MalformedAuthorizationIsAnError) {
    for (const char* value : {"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer\t", "", "   ",
                              "Bearerabc", "Token abc", "Bearer a b", "abc.def.ghi"}) {
        // A token elsewhere does not rescue a bad header: the client meant the header.
        Found f =
            find(request("/s?token=q", {{"authorization", value}, {"cookie", "ringcast_token=c"}}));
        EXPECT_FALSE(f.token) << value;
        EXPECT_FALSE(f.error.empty()) << value;
    }
}

TEST(TokenSourceBearer, CredentialsAreExposedForApiKeys) {
    std::string error;
    EXPECT_EQ(bearer_credentials("Bearer my-api-key", &error), "my-api-key");
    EXPECT_EQ(bearer_credentials("Basic dXNlcjpwYXNz", &error), std::nullopt);
    EXPECT_NE(error.find("Bearer"), std::string::npos) << error;
    EXPECT_EQ(error.find("dXNlcjpwYXNz"), std::string::npos) << "credentials echoed: " << error;
}

TEST(TokenSourceCookie, FoundAmongSeveral) {
    EXPECT_TRUE(
        found_in(find(request("/s", {{"cookie", "theme=dark; ringcast_token=tok; lang=en"}})),
                 "tok", Where::cookie));
    EXPECT_TRUE(found_in(find(request("/s", {{"cookie", "a=1;ringcast_token=tok"}})), "tok",
                         Where::cookie));
    EXPECT_TRUE(found_in(find(request("/s", {{"cookie", "ringcast_token=tok;a=1"}})), "tok",
                         Where::cookie));
    // A longer name that merely ends or starts with ours is not ours.
    Found f = find(request("/s", {{"cookie", "x_ringcast_token=no; ringcast_token_old=no"}}));
    EXPECT_FALSE(f.token);
    // Several Cookie headers are read in order.
    EXPECT_TRUE(found_in(
        find(request("/s", {{"cookie", "theme=dark"}, {"cookie", "ringcast_token=second"}})),
        "second", Where::cookie));
}

TEST(TokenSourceCookie, ValueParsing) {
    std::string_view h = R"(a=1; ringcast_token="quoted.tok.en" ; b = 2 ; flag; c==x)";
    EXPECT_EQ(cookie_value(h, "ringcast_token"), "quoted.tok.en");
    EXPECT_EQ(cookie_value(h, "a"), "1");
    EXPECT_EQ(cookie_value(h, "b"), "2");
    EXPECT_EQ(cookie_value(h, "c"), "=x");
    EXPECT_EQ(cookie_value(h, "flag"), std::nullopt);
    EXPECT_EQ(cookie_value(h, "d"), std::nullopt);
    EXPECT_EQ(cookie_value("", "a"), std::nullopt);
    EXPECT_EQ(cookie_value(";;;", "a"), std::nullopt);
    EXPECT_EQ(cookie_value("a=first; a=second", "a"), "first");
    EXPECT_EQ(cookie_value("a=\"", "a"), "\"") << "a lone quote is kept";
}

TEST(TokenSourceQuery, PercentEncodedTokenIsDecoded) {
    EXPECT_TRUE(found_in(find(request("/s?channels=a&token=abc%2Edef%2eghi%2B%2F")),
                         "abc.def.ghi+/", Where::query));
    EXPECT_TRUE(found_in(find(request("/s?tokenx=no&token=yes&token=later")), "yes", Where::query));
}

TEST(TokenSourceQuery, MalformedEscapeIsAnError) {
    Found f = find(request("/s?token=abc%G1"));
    EXPECT_FALSE(f.token);
    EXPECT_FALSE(f.error.empty());
}

TEST(TokenSource, WhereNames) {
    EXPECT_EQ(token_where_name(Where::header), "header");
    EXPECT_EQ(token_where_name(Where::cookie), "cookie");
    EXPECT_EQ(token_where_name(Where::query), "query");
}

}  // namespace
}  // namespace ringcast
