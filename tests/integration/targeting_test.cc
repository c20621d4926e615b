// Who receives a targeted event, and the {sent, failed} every publish answers:
// through the real daemon, with identities proven by HS256 tokens on streams
// spread over both shards, every target kind with and without excludeUsers and
// requireAuth is published over HTTP (POST /api/publish with an API key) and over
// the Unix socket, and each stream must receive exactly the events meant for it.
// Absence is proven without sleeping: once a publish is answered (the daemon
// answers when every shard has queued the event), a fence event goes to every
// stream, and a stream that has the fence has everything published before it.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

constexpr unsigned kShards = 2;
constexpr char kSecret[] = "targeting-test-secret-0123456789abcdefXYZ";
constexpr char kApiKey[] = "itest-publish-key-0123456789abcdef";
constexpr char kChannel[] = "tgt";

// HS256 with a known secret, an API key for HTTP publishes, and the general
// endpoint without the default per-IP rate limit (the tests open many streams).
std::string targeting_config() {
    return std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kSecret +
           "\"\n[publish]\nhttp_require_auth = true\napi_keys = [\"" + kApiKey +
           "\"]\n[[endpoint]]\npath = \"/api/sse/stream\"\n";
}

// One identity: a name the expectations use, the token's claims (none:
// anonymous), the userId its `connected` event must carry, and how many streams
// it keeps on each shard.
struct Who {
    std::string name;
    std::optional<TokenClaims> claims;
    std::optional<std::string> user_id;
    unsigned per_shard = 1;
    std::string channels = kChannel;  // ?channels= of its streams; must include kChannel
};

TokenClaims user(std::string sub, std::vector<std::string> roles = {},
                 std::vector<std::string> permissions = {}, bool subscriber = false) {
    TokenClaims c;
    c.sub = std::move(sub);
    c.roles = std::move(roles);
    c.permissions = std::move(permissions);
    if (subscriber) c.subscriber = true;
    return c;
}

// The streams of a set of identities on one daemon, read by one SseFleet, each
// with a cursor past the events already judged.
class Audience {
public:
    explicit Audience(uint16_t port) : _fleet(port) {}

    // Opens the streams of `w` until each shard holds w.per_shard of them (or
    // just one stream, wherever it lands, with `one`), and checks the userId of
    // each `connected` event. Empty string on success.
    std::string add(const Who& w, bool one = false) {
        std::string target = "/api/sse/stream?channels=" + w.channels;
        if (w.claims) target += "&token=" + mint_hs256(kSecret, w.claims->json());
        std::string why;
        std::vector<size_t> opened;
        if (one) {
            size_t i = _fleet.add(target);
            if (!_fleet.run_until([&] { return _fleet[i].connected || !_fleet[i].error.empty(); },
                                  Deadline(10s)) ||
                !_fleet[i].connected)
                return w.name + ": did not connect: " + _fleet.problems();
            opened.push_back(i);
        } else {
            opened = open_streams_on_every_shard(_fleet, target, kShards, w.per_shard,
                                                 Deadline(10s), &why);
        }
        if (opened.empty()) return w.name + ": " + why;
        for (size_t i : opened) {
            const Json& uid = (*_fleet[i].connected)["userId"];
            bool right =
                w.user_id ? uid.is_string() && uid.as_string() == *w.user_id : uid.is_null();
            if (!right)
                return w.name + ": connected.userId is not " +
                       (w.user_id ? "\"" + *w.user_id + "\"" : std::string("null")) + " on " +
                       connection_id(_fleet, i);
            _owner.push_back(w.name);
            _shard.push_back(shard_of(connection_id(_fleet, i)));
            _stream.push_back(i);
            _cursor.push_back(0);
        }
        return {};
    }

    // Closes stream k from the client side (FIN) and forgets it.
    void close(size_t k) {
        _fleet.close(_stream[k], false);
        for (auto* v : {&_stream, &_cursor})
            v->erase(v->begin() + long(k));
        _owner.erase(_owner.begin() + long(k));
        _shard.erase(_shard.begin() + long(k));
    }
    // Keeps the fleet reading while something else is awaited.
    void pump(int ms) { _fleet.pump(ms); }

    size_t size() const { return _stream.size(); }
    const std::string& owner(size_t k) const { return _owner[k]; }
    int shard(size_t k) const { return _shard[k]; }
    std::string id(size_t k) const { return connection_id(_fleet, _stream[k]); }

    // Streams whose owner is in `names`.
    int64_t count(const std::set<std::string>& names) const {
        int64_t n = 0;
        for (const auto& o : _owner)
            n += names.count(o);
        return n;
    }

    // Awaits the event `fence` (type "fence", data `fence_data`) on every stream,
    // then returns per stream the data of the other events (heartbeats aside)
    // that arrived since the previous fence. nullopt, with *why, if some stream
    // did not get the fence in time or has ended.
    std::optional<std::vector<std::vector<SseEvent>>> until_fence(const std::string& fence_data,
                                                                  const Deadline& d,
                                                                  std::string* why) {
        auto fence_at = [&](size_t k) -> std::optional<size_t> {
            const auto& evs = _fleet[_stream[k]].events;
            for (size_t e = _cursor[k]; e < evs.size(); ++e)
                if (evs[e].type == "fence" && evs[e].data == fence_data) return e;
            return std::nullopt;
        };
        bool all = _fleet.run_until(
            [&] {
                for (size_t k = 0; k < size(); ++k)
                    if (!fence_at(k)) return false;
                return true;
            },
            d);
        if (!all) {
            *why = "fence " + fence_data + " missing on:";
            for (size_t k = 0; k < size(); ++k)
                if (!fence_at(k))
                    *why += " " + _owner[k] + "@" + id(k) +
                            (_fleet[_stream[k]].ended ? " (ended)" : "");
            return std::nullopt;
        }
        std::vector<std::vector<SseEvent>> got(size());
        for (size_t k = 0; k < size(); ++k) {
            const auto& evs = _fleet[_stream[k]].events;
            size_t f = *fence_at(k);
            for (size_t e = _cursor[k]; e < f; ++e)
                if (evs[e].type != "heartbeat" && evs[e].type != "connected")
                    got[k].push_back(evs[e]);
            _cursor[k] = f + 1;
        }
        return got;
    }

private:
    SseFleet _fleet;
    std::vector<std::string> _owner;
    std::vector<int> _shard;
    std::vector<size_t> _stream;
    std::vector<size_t> _cursor;
};

// The two ways to publish, behind one call.
enum class Path { http, socket };

const char* path_name(Path p) {
    return p == Path::http ? "HTTP" : "socket";
}

struct Published {
    bool ok = false;
    int64_t sent = -1;
    int64_t failed = -1;
    std::string raw;  // the reply, for messages
};

class Publisher {
public:
    explicit Publisher(const DaemonProcess& d) : _http(d.port()), _socket_path(socket_path(d)) {}

    std::string connect() {
        if (!_http.connect()) return "HTTP: " + _http.error();
        if (!_unix.connect(_socket_path)) return "socket: " + _unix.error();
        return {};
    }

    // Publishes {channel, event, data, <fields>} over `p`.
    Published publish(Path p, std::string_view event, std::string_view data_json,
                      std::string_view fields, std::string_view channel = kChannel) {
        Published out;
        if (p == Path::http) {
            // The daemon closes a connection that sends nothing for
            // http.request_timeout; a long wait between publishes must not fail them.
            if (!_http.connected() || _http.conn().readable_now()) {
                if (!_http.connect()) {
                    out.raw = "HTTP connect: " + _http.error();
                    return out;
                }
            }
            std::string body = "{\"channel\":" + json_quote(channel) +
                               ",\"event\":" + json_quote(event) +
                               ",\"data\":" + std::string(data_json) +
                               (fields.empty() ? "" : "," + std::string(fields)) + "}";
            auto r = _http.request("POST", "/api/publish", body,
                                   {{"Content-Type", "application/json"},
                                    {"Authorization", std::string("Bearer ") + kApiKey}});
            if (!r) {
                out.raw = "no HTTP response: " + _http.error();
                return out;
            }
            out.raw = r->describe();
            auto j = r->json();
            if (r->status != 200 || !j) return out;
            out.ok = true;
            out.sent = (*j)["sent"].as_int(-1);
            out.failed = (*j)["failed"].as_int(-1);
            return out;
        }
        auto line =
            _unix.request(publish_line(std::to_string(++_req), channel, event, data_json, fields));
        if (!line) {
            out.raw = "no socket reply: " + _unix.error();
            return out;
        }
        out.raw = *line;
        Json j = parse_reply(*line);
        out.ok = j["ok"].is_bool() && j["ok"].as_bool();
        out.sent = j["sent"].as_int(-1);
        out.failed = j["failed"].as_int(-1);
        return out;
    }

    UnixClient& unix_client() { return _unix; }

private:
    HttpClient _http;
    UnixClient _unix;
    std::string _socket_path;
    int _req = 0;
};

// One targeted publish and who must get it.
struct Case {
    std::string name;
    std::string fields;  // JSON members added to the message
    std::set<std::string> to;
    std::string channel = kChannel;
};

// Publishes `c` over `p` as event "t" with data {"case":n}, checks `sent`, then
// publishes a fence to everyone and checks that exactly the streams of c.to got
// the event, once each, and no other stream did.
void run_case(Audience& a, Publisher& pub, Path p, const Case& c, int n) {
    SCOPED_TRACE(std::string(path_name(p)) + ": " + c.name + " {" + c.fields + "}");
    std::string data = "{\"case\":" + std::to_string(n) + "}";
    Published r = pub.publish(p, "t", data, c.fields, c.channel);
    ASSERT_TRUE(r.ok) << r.raw;
    EXPECT_EQ(r.sent, a.count(c.to)) << "sent counts the connections reached: " << r.raw;
    EXPECT_EQ(r.failed, 0) << r.raw;

    std::string fence = "{\"fence\":" + std::to_string(n) + "}";
    Published f = pub.publish(p, "fence", fence, "");
    ASSERT_TRUE(f.ok) << f.raw;
    EXPECT_EQ(f.sent, int64_t(a.size())) << "the fence reaches every stream: " << f.raw;

    std::string why;
    auto got = a.until_fence(fence, Deadline(10s), &why);
    ASSERT_TRUE(got) << why;
    for (size_t k = 0; k < a.size(); ++k) {
        const auto& evs = (*got)[k];
        std::string where = a.owner(k) + " on " + a.id(k);
        if (c.to.count(a.owner(k))) {
            ASSERT_EQ(evs.size(), 1u) << where << " must receive the event exactly once";
            EXPECT_EQ(evs[0].type, "t") << where;
            EXPECT_EQ(evs[0].data, data) << where;
        } else {
            EXPECT_TRUE(evs.empty()) << where << " must not receive the event, got "
                                     << (evs.empty() ? "" : evs[0].type + " " + evs[0].data);
        }
    }
}

std::set<std::string> without(std::set<std::string> s, std::initializer_list<const char*> out) {
    for (const char* o : out)
        s.erase(o);
    return s;
}

// The identities of the matrix. "u6" is the excluded user: it holds every role,
// permission and the subscriber flag, so every target kind reaches it unless the
// exclusion works. "123" has the string sub "123", "456" the integer sub 456.
std::vector<Who> matrix_identities() {
    TokenClaims n456;
    n456.sub_int = 456;
    TokenClaims u2 = user("u2", {"admin"});
    u2.subscriber = false;  // said explicitly
    return {
        {"anon", std::nullopt, std::nullopt},
        {"u1", user("u1"), "u1"},
        {"u2", u2, "u2"},
        {"u3", user("u3", {"moderator"}, {"dashboard.view"}), "u3"},
        {"u4", user("u4", {}, {}, true), "u4"},
        // Two tabs on each shard: several streams of one user on one shard.
        {"u5", user("u5", {"admin"}), "u5", 2},
        {"u6", user("u6", {"admin", "moderator"}, {"dashboard.view", "reports.view"}, true), "u6"},
        {"123", user("123"), "123"},
        {"456", n456, "456"},
    };
}

std::string open_all(Audience& a, const std::vector<Who>& ids) {
    for (const Who& w : ids)
        if (std::string why = a.add(w); !why.empty()) return why;
    // Every identity holds streams on every shard (open_streams_on_every_shard
    // guarantees it); say so plainly for the reader of a failure.
    std::map<int, int> per_shard;
    for (size_t k = 0; k < a.size(); ++k)
        ++per_shard[a.shard(k)];
    if (per_shard.size() != kShards) return "streams are not on every shard";
    return {};
}

// Awaits /api/stats showing exactly `users` in connectionsByUser, each with as
// many streams as `a` holds for it (while `a` keeps reading). Empty on success.
std::string await_users(const DaemonProcess& d, Audience& a, const std::set<std::string>& users) {
    HttpClient c(d.port());
    if (!c.connect()) return "stats: " + c.error();
    Json last;
    bool ok = await_stats(
        c,
        [&](const Json& s) {
            const Json& by = s["connectionsByUser"];
            if (by.size() != users.size() || s["uniqueUsers"].as_int() != int64_t(users.size()))
                return false;
            for (const auto& u : users)
                if (by[u].as_int() != a.count({u})) return false;
            return true;
        },
        Deadline(10s), &last, [&](int ms) { a.pump(ms); }, {{"X-API-Key", kApiKey}});
    if (ok) return {};
    std::string want;
    for (const auto& u : users)
        want += u + ":" + std::to_string(a.count({u})) + " ";
    return "connectionsByUser should be {" + want + "}, stats: uniqueUsers " +
           std::to_string(last["uniqueUsers"].as_int()) + ", " +
           std::to_string(last["connectionsByUser"].size()) + " users";
}

TEST(Targeting, EveryKindWithAndWithoutExclusionAndRequireAuthOverBothPaths) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    Audience a(d.port());
    ASSERT_EQ(open_all(a, matrix_identities()), "");
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");
    // The daemon counts the streams of each user it now knows.
    EXPECT_EQ(await_users(d, a, {"u1", "u2", "u3", "u4", "u5", "u6", "123", "456"}), "");

    const std::set<std::string> everyone = {"anon", "u1", "u2",  "u3", "u4",
                                            "u5",   "u6", "123", "456"};
    struct Kind {
        std::string name;
        std::string fields;
        std::set<std::string> to;
    };
    const std::vector<Kind> kinds = {
        {"all", "\"target\":\"all\"", everyone},
        {"user-specific",
         "\"target\":\"user-specific\",\"targetUsers\":[\"u1\",\"u5\",\"u6\",123,\"456\"]",
         {"u1", "u5", "u6", "123", "456"}},
        {"role-based",
         "\"target\":\"role-based\",\"targetRoles\":[\"admin\",\"no-such-role\"]",
         {"u2", "u5", "u6"}},
        {"permission-based",
         "\"target\":\"permission-based\",\"targetPermissions\":[\"dashboard.view\"]",
         {"u3", "u6"}},
        {"authenticated", "\"target\":\"authenticated\"", without(everyone, {"anon"})},
        {"subscribers", "\"target\":\"subscribers\"", {"u4", "u6"}},
    };
    std::vector<Case> cases;
    for (const Kind& k : kinds)
        for (bool exclude : {false, true})
            for (bool require_auth : {false, true}) {
                Case c{k.name, k.fields, k.to};
                if (exclude) {
                    // u6 is reached by every kind; 999 is on no stream.
                    c.name += " excludeUsers";
                    c.fields += ",\"excludeUsers\":[\"u6\",999]";
                    c.to.erase("u6");
                }
                if (require_auth) {
                    c.name += " requireAuth";
                    c.fields += ",\"requireAuth\":true";
                    c.to.erase("anon");
                } else if (exclude) {
                    c.fields += ",\"requireAuth\":false";
                }
                cases.push_back(std::move(c));
            }
    // Without "target", a single list says the kind.
    cases.push_back({"implicit user-specific", "\"targetUsers\":[\"u2\"]", {"u2"}});
    cases.push_back({"implicit role-based", "\"targetRoles\":[\"moderator\"]", {"u3", "u6"}});
    cases.push_back(
        {"implicit permission-based", "\"targetPermissions\":[\"reports.view\"]", {"u6"}});
    cases.push_back({"no target at all", "", everyone});

    int n = 0;
    for (const Case& c : cases)
        for (Path p : {Path::http, Path::socket}) {
            run_case(a, pub, p, c, ++n);
            if (HasFatalFailure()) return;
        }
}

TEST(Targeting, UserIdsMatchAsTextRepeatsCountOnceAndEveryTabReceives) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    TokenClaims n456;
    n456.sub_int = 456;
    Audience a(d.port());
    ASSERT_EQ(open_all(a, {{"anon", std::nullopt, std::nullopt},
                           {"u1", user("u1"), "u1"},
                           {"u5", user("u5", {"admin"}), "u5", 2},
                           {"123", user("123"), "123"},
                           {"456", n456, "456"}}),
              "");
    ASSERT_EQ(a.count({"u5"}), 4) << "u5 keeps two tabs on each shard";
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");

    const std::vector<Case> cases = {
        {"integer id, string sub", "\"targetUsers\":[123]", {"123"}},
        {"string id, integer sub", "\"targetUsers\":[\"456\"]", {"456"}},
        {"integer id, integer sub", "\"targetUsers\":[456]", {"456"}},
        {"one user named three times, both ways", "\"targetUsers\":[456,\"456\",456]", {"456"}},
        {"a user named twice with four tabs", "\"targetUsers\":[\"u5\",\"u5\"]", {"u5"}},
        {"ids are exact text: leading zero", "\"targetUsers\":[\"0123\"]", {}},
        {"ids are exact text: case", "\"targetUsers\":[\"U1\"]", {}},
        {"a user with no stream", "\"targetUsers\":[\"nobody\"]", {}},
        {"targeted and excluded",
         "\"targetUsers\":[\"u1\",123],\"excludeUsers\":[\"u1\"]",
         {"123"}},
        {"excluded by integer id",
         "\"target\":\"all\",\"excludeUsers\":[123,\"u5\"]",
         {"anon", "u1", "456"}},
        {"excluded by string id of an integer sub",
         "\"target\":\"all\",\"excludeUsers\":[\"456\"]",
         {"anon", "u1", "u5", "123"}},
        {"user-specific with requireAuth",
         "\"targetUsers\":[123,\"u5\"],\"requireAuth\":true",
         {"123", "u5"}},
    };
    int n = 0;
    for (const Case& c : cases)
        for (Path p : {Path::http, Path::socket}) {
            run_case(a, pub, p, c, ++n);
            if (HasFatalFailure()) return;
        }
}

// The per-shard user index follows streams as they close and open: a user's
// events reach the tabs still open, nothing once all are closed, and a new tab
// again.
TEST(Targeting, UserIndexFollowsTabsThatCloseAndReopen) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    Audience a(d.port());
    const Who u5{"u5", user("u5", {"admin"}), "u5", 2};
    ASSERT_EQ(open_all(a, {{"anon", std::nullopt, std::nullopt}, {"u1", user("u1"), "u1"}, u5}),
              "");
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");
    const Case to_u5{"targetUsers u5", "\"targetUsers\":[\"u5\"]", {"u5"}};
    const Case admins{"targetRoles admin", "\"targetRoles\":[\"admin\"]", {"u5"}};
    int n = 0;
    auto both_paths = [&](const Case& c) {
        for (Path p : {Path::http, Path::socket})
            run_case(a, pub, p, c, ++n);
    };
    ASSERT_EQ(a.count({"u5"}), 4);
    both_paths(to_u5);

    // Close one tab of u5 on each shard.
    for (int shard = 0; shard < int(kShards); ++shard)
        for (size_t k = 0; k < a.size(); ++k)
            if (a.owner(k) == "u5" && a.shard(k) == shard) {
                a.close(k);
                break;
            }
    ASSERT_EQ(a.count({"u5"}), 2);
    ASSERT_EQ(await_users(d, a, {"u1", "u5"}), "");
    both_paths(to_u5);
    both_paths(admins);

    // Close the others: u5 is gone.
    for (size_t k = a.size(); k-- > 0;)
        if (a.owner(k) == "u5") a.close(k);
    ASSERT_EQ(await_users(d, a, {"u1"}), "");
    both_paths(to_u5);
    both_paths(admins);

    // A new tab.
    ASSERT_EQ(a.add(u5, /*one=*/true), "");
    ASSERT_EQ(await_users(d, a, {"u1", "u5"}), "");
    both_paths(to_u5);
    both_paths(admins);
}

// Roles and permissions are interned per shard into bitsets of 64 names, then
// a spill-over list: names past the 64th, names only one shard has seen, and
// names no shard has seen must all be resolved right.
TEST(Targeting, RolesBeyondSixtyFourAndNamesKnownOnOneShardOnly) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    Audience a(d.port());
    TokenClaims many = user("many");
    for (int i = 0; i < 80; ++i) {
        many.roles.push_back("r" + std::to_string(i));
        many.permissions.push_back("p" + std::to_string(i));
    }
    // "many" comes first on both shards, so r64..r79 get ids past the first word.
    ASSERT_EQ(open_all(a, {{"many", many, "many"}, {"anon", std::nullopt, std::nullopt}}), "");
    ASSERT_EQ(a.add({"solo", user("solo", {"solo-role"}, {"solo.perm"}), "solo"}, /*one=*/true),
              "");
    ASSERT_EQ(a.add({"high", user("high", {"r79"}, {"p70"}), "high"}, /*one=*/true), "");
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");

    const std::vector<Case> cases = {
        {"a role past the 64th", "\"targetRoles\":[\"r79\"]", {"many", "high"}},
        {"the 64th and 65th names", "\"targetRoles\":[\"r63\",\"r64\"]", {"many"}},
        {"the first role", "\"targetRoles\":[\"r0\"]", {"many"}},
        {"a role one shard has seen", "\"targetRoles\":[\"solo-role\"]", {"solo"}},
        {"a high role and a one-shard role",
         "\"targetRoles\":[\"r70\",\"solo-role\"]",
         {"many", "solo"}},
        {"a role nobody has", "\"targetRoles\":[\"nobody\"]", {}},
        {"a permission name used as a role", "\"targetRoles\":[\"p70\",\"solo.perm\"]", {}},
        {"a permission past the 64th", "\"targetPermissions\":[\"p70\"]", {"many", "high"}},
        {"a one-shard permission", "\"targetPermissions\":[\"solo.perm\"]", {"solo"}},
        {"a role name used as a permission", "\"targetPermissions\":[\"r79\",\"solo-role\"]", {}},
        {"a high role, its main holder excluded",
         "\"targetRoles\":[\"r79\"],\"excludeUsers\":[\"many\"]",
         {"high"}},
    };
    int n = 0;
    for (const Case& c : cases)
        for (Path p : {Path::http, Path::socket}) {
            run_case(a, pub, p, c, ++n);
            if (HasFatalFailure()) return;
        }
}

// A target picks among the subscribers of the event's channel: a user's stream
// on other channels gets nothing, however the user is targeted.
TEST(Targeting, TargetsChooseAmongTheChannelsSubscribersOnly) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    Audience a(d.port());
    const std::string both = std::string(kChannel) + ",elsewhere";
    ASSERT_EQ(open_all(a, {{"anon both", std::nullopt, std::nullopt, 1, both},
                           {"u7 tgt", user("u7", {}, {"reports.view"}, true), "u7"},
                           {"u7 both", user("u7", {}, {"reports.view"}, true), "u7", 1, both},
                           {"u2 tgt", user("u2", {"admin"}), "u2"},
                           {"u2 both", user("u2", {"admin"}), "u2", 1, both}}),
              "");
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");
    const std::vector<Case> cases = {
        {"user on its own channel", "\"targetUsers\":[\"u7\"]", {"u7 tgt", "u7 both"}},
        {"user elsewhere", "\"targetUsers\":[\"u7\",\"u2\"]", {"u7 both", "u2 both"}, "elsewhere"},
        {"role elsewhere", "\"targetRoles\":[\"admin\"]", {"u2 both"}, "elsewhere"},
        {"permission elsewhere",
         "\"targetPermissions\":[\"reports.view\"]",
         {"u7 both"},
         "elsewhere"},
        {"subscribers elsewhere", "\"target\":\"subscribers\"", {"u7 both"}, "elsewhere"},
        {"authenticated elsewhere, u2 excluded",
         "\"target\":\"authenticated\",\"excludeUsers\":[\"u2\"]",
         {"u7 both"},
         "elsewhere"},
        {"all elsewhere", "\"target\":\"all\"", {"anon both", "u7 both", "u2 both"}, "elsewhere"},
        {"a channel nobody holds", "\"targetUsers\":[\"u7\"]", {}, "nowhere"},
    };
    int n = 0;
    for (const Case& c : cases)
        for (Path p : {Path::http, Path::socket}) {
            run_case(a, pub, p, c, ++n);
            if (HasFatalFailure()) return;
        }
}

// A socket batch: each message is targeted on its own, each result counts its
// own recipients, and the totals add up.
TEST(Targeting, BatchMessagesAreTargetedOneByOne) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = kShards, .config = targeting_config()})) << d.error();
    Audience a(d.port());
    ASSERT_EQ(open_all(a, matrix_identities()), "");
    Publisher pub(d);
    ASSERT_EQ(pub.connect(), "");

    auto msg = [](std::string_view data, std::string_view fields) {
        return "{\"channel\":\"tgt\",\"event\":\"t\",\"data\":" + std::string(data) + "," +
               std::string(fields) + "}";
    };
    struct Item {
        std::string data;
        std::string fields;
        std::set<std::string> to;
    };
    const std::vector<Item> items = {
        {"{\"b\":1}", "\"targetRoles\":[\"admin\"]", {"u2", "u5", "u6"}},
        {"{\"b\":2}", "\"target\":\"subscribers\",\"excludeUsers\":[\"u4\"]", {"u6"}},
        {"{\"b\":3}", "\"targetUsers\":[456,\"u1\"]", {"456", "u1"}},
        {"{\"b\":4}",
         "\"target\":\"all\",\"requireAuth\":true,\"excludeUsers\":[\"u5\"]",
         {"u1", "u2", "u3", "u4", "u6", "123", "456"}},
    };
    std::string line = "{\"op\":\"publish\",\"req\":\"batch\",\"messages\":[";
    for (size_t i = 0; i < items.size(); ++i)
        line += (i ? "," : "") + msg(items[i].data, items[i].fields);
    line += "]}";
    Json r = ask(pub.unix_client(), line);
    ASSERT_TRUE(r["ok"].as_bool()) << pub.unix_client().error();
    ASSERT_EQ(r["results"].size(), items.size());
    int64_t total = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        EXPECT_TRUE(r["results"][i]["ok"].as_bool()) << "message " << i;
        EXPECT_EQ(r["results"][i]["sent"].as_int(), a.count(items[i].to)) << "message " << i;
        total += a.count(items[i].to);
    }
    EXPECT_EQ(r["sent"].as_int(), total);
    EXPECT_EQ(r["failed"].as_int(), 0);

    Published f = pub.publish(Path::socket, "fence", "{\"fence\":1}", "");
    ASSERT_TRUE(f.ok) << f.raw;
    std::string why;
    auto got = a.until_fence("{\"fence\":1}", Deadline(10s), &why);
    ASSERT_TRUE(got) << why;
    for (size_t k = 0; k < a.size(); ++k) {
        std::vector<std::string> want, have;
        for (const Item& it : items)
            if (it.to.count(a.owner(k))) want.push_back(it.data);
        for (const SseEvent& e : (*got)[k])
            have.push_back(e.data);
        EXPECT_EQ(have, want) << a.owner(k) << " on " << a.id(k);
    }
}

}  // namespace
}  // namespace ringcast::itest
