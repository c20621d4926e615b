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

TEST(Router, AlertsRoutesByMethodAndName) {
    EXPECT_EQ(route_request(HTTP_GET, "/api/alerts").route, Route::alerts_list);
    EXPECT_EQ(route_request(HTTP_POST, "/api/alerts/").route, Route::alerts_create);
    EXPECT_EQ(route_request(HTTP_GET, "/api/alerts/active").route, Route::alerts_active);
    EXPECT_EQ(route_request(HTTP_POST, "/api/alerts/preview").route, Route::alerts_preview);
    EXPECT_EQ(route_request(HTTP_POST, "/api/alerts/refresh").route, Route::alerts_refresh);
    for (auto [method, route] :
         {std::pair{HTTP_GET, Route::alert_get}, std::pair{HTTP_PUT, Route::alert_replace},
          std::pair{HTTP_PATCH, Route::alert_patch}, std::pair{HTTP_DELETE, Route::alert_delete}}) {
        RouteMatch m = route_request(method, "/api/alerts/17");
        EXPECT_EQ(m.route, route);
        EXPECT_EQ(m.rest, "17");
    }
    RouteMatch m = route_request(HTTP_POST, "/api/alerts/17/dismiss");
    EXPECT_EQ(m.route, Route::alert_dismiss);
    EXPECT_EQ(m.rest, "17");
    // Several methods on one path: 405 names them all.
    m = route_request(HTTP_DELETE, "/api/alerts");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    EXPECT_STREQ(m.allow, "GET, POST");
    m = route_request(HTTP_POST, "/api/alerts/17");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    EXPECT_STREQ(m.allow, "GET, PUT, PATCH, DELETE");
    // A fixed path is not an alert named like it.
    m = route_request(HTTP_DELETE, "/api/alerts/active");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    EXPECT_STREQ(m.allow, "GET");
    m = route_request(HTTP_GET, "/api/alerts/17/dismiss");
    EXPECT_EQ(m.route, Route::method_not_allowed);
    EXPECT_STREQ(m.allow, "POST");
    EXPECT_EQ(route_request(HTTP_POST, "/api/alerts//dismiss").route, Route::not_found);
    EXPECT_EQ(route_request(HTTP_GET, "/api/alerts/1/2").route, Route::not_found);
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
