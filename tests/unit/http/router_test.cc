// The fixed API route table: path first, then method (405 with Allow), else 404.
// (SSE endpoints are configured and matched before it: integration tests.)
#include "http/router.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(Router, KnownRoutes) {
    EXPECT_EQ(route_request(HTTP_POST, "/api/publish").route, Route::publish);
    EXPECT_EQ(route_request(HTTP_GET, "/api/stats").route, Route::stats);
    EXPECT_EQ(route_request(HTTP_GET, "/api/stats").allow, nullptr);
}

TEST(Router, EveryApiRoute) {
    EXPECT_EQ(route_request(HTTP_POST, "/api/invalidate").route, Route::invalidate);
    EXPECT_EQ(route_request(HTTP_GET, "/api/ping").route, Route::ping);
    EXPECT_EQ(route_request(HTTP_POST, "/api/disconnect").route, Route::disconnect);
    EXPECT_EQ(route_request(HTTP_POST, "/api/tokens").route, Route::tokens);
}

TEST(Router, NamedResourcesTakeOneSegment) {
    RouteMatch m = route_request(HTTP_GET, "/api/connections/c1-42");
    EXPECT_EQ(m.route, Route::connection);
    EXPECT_EQ(m.rest, "c1-42");
    m = route_request(HTTP_GET, "/api/users/user%2042/");
    EXPECT_EQ(m.route, Route::user);
    EXPECT_EQ(m.rest, "user%2042") << "still %-encoded; the trailing slash dropped";
    EXPECT_EQ(route_request(HTTP_GET, "/api/users/").route, Route::not_found) << "no name";
    EXPECT_EQ(route_request(HTTP_GET, "/api/users/a/b").route, Route::not_found);
    m = route_request(HTTP_DELETE, "/api/users/42");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    EXPECT_STREQ(m.allow, "GET");
}

TEST(Router, TrailingSlashNamesTheSameResource) {
    EXPECT_EQ(route_request(HTTP_GET, "/api/stats/").route, Route::stats);
    EXPECT_EQ(route_request(HTTP_POST, "/api/publish/").route, Route::publish);
    EXPECT_EQ(route_request(HTTP_GET, "/api/stats//").route, Route::not_found) << "only one slash";
}

TEST(Router, WrongMethodIs405WithAllow) {
    RouteMatch m = route_request(HTTP_POST, "/api/stats");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    ASSERT_NE(m.allow, nullptr);
    EXPECT_STREQ(m.allow, "GET");

    m = route_request(HTTP_GET, "/api/publish");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    ASSERT_NE(m.allow, nullptr);
    EXPECT_STREQ(m.allow, "POST");

    EXPECT_EQ(route_request(HTTP_DELETE, "/api/stats/").route, Route::method_not_allowed);
    EXPECT_EQ(route_request(HTTP_HEAD, "/api/stats").route, Route::method_not_allowed);
}

TEST(Router, UnknownPathsAre404) {
    for (std::string_view p : {"/", "", "/api", "/api/", "/API/STATS", "/api/statss",
                               "/api/stats/x", "api/stats", "/api/publish?x=1", "/api/sse"}) {
        RouteMatch m = route_request(HTTP_GET, p);
        EXPECT_EQ(m.route, Route::not_found) << p;
        EXPECT_EQ(m.allow, nullptr) << p;
    }
}

}  // namespace
}  // namespace ringcast
