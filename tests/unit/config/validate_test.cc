// validate_config: the rules that involve several keys (auth algorithm and key,
// endpoint paths and access, CORS, rate windows), each with the message the
// operator sees.
#include <string>

#include <gtest/gtest.h>

#include "config/config.h"

namespace ringcast {
namespace {

Config defaults() {
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(c, "", &err)) << err;
    return c;
}

// --- validate_config: rules across keys ----------------------------------------

std::string validate(const Config& c) {
    std::string err;
    bool ok = validate_config(c, &err);
    EXPECT_EQ(ok, err.empty()) << err;
    return ok ? "" : err;
}

// Applies text over the defaults (it must parse) and returns validate_config's error.
std::string validate_text(const std::string& text) {
    Config c = defaults();
    std::string err;
    EXPECT_TRUE(apply_config_text(c, text, "test.toml", &err)) << err << "\n" << text;
    return validate(c);
}

const std::string kSecret32(32, 's');

TEST(ConfigValidate, TlsListenNeedsACertificateAndAKey) {
    EXPECT_EQ(validate_text("[tls]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"c.pem\"\n"),
              "tls.listen = \"0.0.0.0:8443\" needs tls.certificate and tls.key: the PEM files of "
              "the server certificate (with its chain) and of its key");
    EXPECT_EQ(validate_text("[tls]\nlisten = \"0.0.0.0:8443\"\ncertificate = \"c.pem\"\n"
                            "key = \"k.pem\"\n"),
              "");
    EXPECT_EQ(validate_text("[tls]\ncertificate = \"c.pem\"\n"), "");  // no listener: unused
    Config c = defaults();
    std::string err;
    EXPECT_FALSE(apply_config_text(c, "[tls]\nmin_version = \"1.1\"\n", "test.toml", &err));
    EXPECT_NE(err.find("tls.min_version"), std::string::npos) << err;
    EXPECT_FALSE(apply_config_text(c, "[tls]\nticket_rotation = \"10s\"\n", "test.toml", &err));
    EXPECT_NE(err.find("tls.ticket_rotation"), std::string::npos) << err;
}

TEST(ConfigValidate, AuthAlgorithmAndKeys) {
    const std::pair<std::string, std::string> cases[] = {
        {"[auth]\nalgorithm = \"HS256\"\n",
         "auth.algorithm = \"HS256\" needs auth.secret_file (or auth.secret): the shared secret "
         "tokens are signed with"},
        {"[auth]\nalgorithm = \"HS256\"\nsecret = \"" + kSecret32 + "\"\nsecret_file = \"/s\"\n",
         "auth.secret and auth.secret_file are both set: keep one (secret_file keeps the secret "
         "out of the configuration)"},
        {"[auth]\nalgorithm = \"HS256\"\nsecret = \"" + std::string(31, 'x') + "\"\n",
         "auth.secret is 31 bytes; HS256 needs at least 32 (e.g. `openssl rand -base64 48`)"},
        {"[auth]\nalgorithm = \"HS256\"\nsecret_file = \"/s\"\npublic_key_file = \"/k.pem\"\n",
         "auth.public_key_file is for RS256 / ES256, but auth.algorithm = \"HS256\" uses "
         "auth.secret or auth.secret_file"},
        {"[auth]\nalgorithm = \"RS256\"\n",
         "auth.algorithm = \"RS256\" needs auth.public_key_file (the PEM public key tokens are "
         "verified with)"},
        {"[auth]\nalgorithm = \"ES256\"\n",
         "auth.algorithm = \"ES256\" needs auth.public_key_file (the PEM public key tokens are "
         "verified with)"},
        {"[auth]\nalgorithm = \"ES256\"\npublic_key_file = \"/k.pem\"\nsecret_file = \"/s\"\n",
         "auth.secret and auth.secret_file are for HS256, but auth.algorithm = \"ES256\" uses "
         "auth.public_key_file"},
        {"[auth]\nsecret_file = \"/s\"\n",
         "auth.secret, auth.secret_file or auth.public_key_file is set but auth.algorithm is "
         "empty: set it to \"HS256\", \"RS256\" or \"ES256\""},
        {"[auth]\nalgorithm = \"HS256\"\nsecret_file = \"/s\"\nheader = false\ncookie = \"\"\n"
         "query = \"\"\n",
         "[auth] reads tokens from nowhere: header = false, cookie = \"\" and query = \"\"; "
         "enable at least one"},
        {"[auth]\nalgorithm = \"HS256\"\nsecret_file = \"/s\"\nuser_claim = \"\"\n",
         "auth.user_claim must name the claim holding the user id (\"sub\")"},
    };
    for (const auto& [text, want] : cases)
        EXPECT_EQ(validate_text(text), want) << text;

    // What passes: each algorithm with its key.
    for (std::string ok : {"[auth]\nalgorithm = \"HS256\"\nsecret = \"" + kSecret32 + "\"\n",
                           std::string("[auth]\nalgorithm = \"HS256\"\nsecret_file = \"/s\"\n"),
                           std::string("[auth]\nalgorithm = \"RS256\"\npublic_key_file = \"/k\"\n"),
                           std::string("[auth]\nalgorithm = \"ES256\"\npublic_key_file = \"/k\"\n"
                                       "header = false\ncookie = \"\"\n")})
        EXPECT_EQ(validate_text(ok), "") << ok;

    // A Config built in code is checked too.
    Config c = defaults();
    c.auth_algorithm = "none";
    EXPECT_EQ(validate(c),
              "auth.algorithm = \"none\" must be one of \"\", \"HS256\", \"RS256\", \"ES256\"");
}

TEST(ConfigValidate, SecretNeverAppearsInMessages) {
    std::string secret = "hunter2-but-too-short";
    std::string err = validate_text("[auth]\nalgorithm = \"HS256\"\nsecret = \"" + secret + "\"\n");
    EXPECT_NE(err, "");
    EXPECT_EQ(err.find(secret), std::string::npos) << err;
}

TEST(ConfigValidate, EndpointPaths) {
    const std::pair<const char*, const char*> cases[] = {
        {"[[endpoint]]\npath = \"api/x\"\n",
         "endpoint[0].path = \"api/x\" must start with \"/\", not end with one, and hold no "
         "spaces, '?' or '#'"},
        {"[[endpoint]]\npath = \"\"\n",
         "endpoint[0].path = \"\" must start with \"/\", not end with one, and hold no spaces, '?' "
         "or '#'"},
        {"[[endpoint]]\npath = \"/x/\"\n",
         "endpoint[0].path = \"/x/\" must start with \"/\", not end with one, and hold no spaces, "
         "'?' or '#'"},
        {"[[endpoint]]\npath = \"/a?b=1\"\n",
         "endpoint[0].path = \"/a?b=1\" must start with \"/\", not end with one, and hold no "
         "spaces, '?' or '#'"},
        {"[[endpoint]]\npath = \"/a\"\n[[endpoint]]\npath = \"/b\"\n[[endpoint]]\npath = \"/a\"\n",
         "endpoint[2].path = \"/a\" is already endpoint[0]'s: paths must be unique"},
        {"[[endpoint]]\npath = \"/api/publish\"\n",
         "endpoint[0].path = \"/api/publish\" is a route of the HTTP API; pick another path"},
        {"[[endpoint]]\npath = \"/api/stats\"\n",
         "endpoint[0].path = \"/api/stats\" is a route of the HTTP API; pick another path"},
        {"[[endpoint]]\npath = \"/api/invalidate\"\n",
         "endpoint[0].path = \"/api/invalidate\" is a route of the HTTP API; pick another path"},
    };
    for (auto [text, want] : cases)
        EXPECT_EQ(validate_text(text), want) << text;

    Config c = defaults();
    c.endpoints.clear();
    EXPECT_EQ(validate(c), "no [[endpoint]] is configured");
}

TEST(ConfigValidate, EndpointChannels) {
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\nchannels = [\"chat\", \"bad name\"]\n"),
              "endpoint /a channels: \"bad name\" is not a valid channel name (1 to 128 of A-Z "
              "a-z 0-9 . _ : -)");
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\nchannels = [\"\"]\n"),
              "endpoint /a channels: \"\" is not a valid channel name (1 to 128 of A-Z a-z 0-9 . "
              "_ : -)");
    EXPECT_NE(validate_text("[[endpoint]]\npath = \"/a\"\nchannels = [\"" + std::string(129, 'c') +
                            "\"]\n")
                  .find("is not a valid channel name"),
              std::string::npos)
        << "129 characters";
    EXPECT_EQ(validate_text("[sse]\nmax_channels_per_stream = 2\ndefault_channels = "
                            "[\"a\"]\n[[endpoint]]\npath = \"/a\"\n"
                            "channels = [\"a\", \"b\", \"c\"]\n"),
              "endpoint /a channels lists 3 channels, more than sse.max_channels_per_stream = 2");
    EXPECT_EQ(validate_text("[sse]\ndefault_channels = [\"ok\", \"not/ok\"]\n"),
              "sse.default_channels: \"not/ok\" is not a valid channel name (1 to 128 of A-Z a-z "
              "0-9 . _ : -)");
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\nchannels = [\"a.b\", \"c:d\", \"e-f\", "
                            "\"g_h\", \"I9\"]\n"),
              "");
}

TEST(ConfigValidate, EndpointAccessRules) {
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\nallowed_roles = [\"admin\"]\n"),
              "endpoint /a: allowed_roles needs require_auth = true");
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\nrequire_auth = false\n"
                            "allowed_permissions = [\"x.read\"]\n"),
              "endpoint /a: allowed_permissions needs require_auth = true");
    EXPECT_EQ(validate_text("[auth]\nalgorithm = \"RS256\"\npublic_key_file = \"/k\"\n"
                            "[[endpoint]]\npath = \"/a\"\nrequire_auth = true\n"
                            "allowed_roles = [\"\"]\n"),
              "endpoint /a: allowed_roles has an empty name");
    // An operator's endpoint needing a token that nothing can verify.
    const std::string no_tokens = "[auth]\ntoken_key_file = \"\"\n";
    EXPECT_EQ(validate_text(no_tokens + "[[endpoint]]\npath = \"/x\"\nrequire_auth = true\n"),
              "endpoint /x requires authentication but no token can verify: [auth] algorithm and "
              "token_key_file are empty (configure one, or set require_auth = false)");
    // A built-in one changed is the operator's too.
    EXPECT_EQ(validate_text(no_tokens + "[[endpoint]]\npath = \"/api/admin/sse/stream\"\n"
                                        "channels = [\"admin-actions\"]\nrequire_auth = true\n"
                                        "allowed_roles = [\"admin\"]\n"),
              "endpoint /api/admin/sse/stream requires authentication but no token can verify: "
              "[auth] algorithm and token_key_file are empty (configure one, or set require_auth "
              "= false)");
    // Stream tokens (on by default) can verify.
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/x\"\nrequire_auth = true\n"), "");
    EXPECT_EQ(validate_text("[auth]\nalgorithm = \"HS256\"\nsecret_file = \"/s\"\n"
                            "[[endpoint]]\npath = \"/x\"\nrequire_auth = true\n"
                            "allowed_roles = [\"admin\"]\nallowed_permissions = [\"x\"]\n"),
              "");
}

TEST(ConfigValidate, RateLimitsNeedAWindow) {
    EXPECT_EQ(validate_text("[publish]\nrate_limit = { max = 5, window = 0 }\n"),
              "publish.rate_limit.max = 5 needs a window greater than 0");
    EXPECT_EQ(validate_text("[publish]\nuser_rate_limit = { max = 5, window = \"0s\" }\n"),
              "publish.user_rate_limit.max = 5 needs a window greater than 0");
    EXPECT_EQ(validate_text("[[endpoint]]\npath = \"/a\"\n"
                            "rate_limit = { max_connections = 50, window = 0 }\n"),
              "endpoint /a: rate_limit.max_connections = 50 needs a window greater than 0");
    EXPECT_EQ(validate_text("[publish]\nrate_limit = { max = 0, window = 0 }\n"), "")
        << "a limit that is off needs no window";
}

TEST(ConfigValidate, Store) {
    EXPECT_EQ(validate_text("[store]\nflush_interval = \"11s\"\n"),
              "store.flush_interval = 11000 ms is more than 10000 ms: a crash loses up to one "
              "interval of what the log kept");
    EXPECT_EQ(validate_text("[store]\nflush_interval = \"10s\"\nsync = \"full\"\n"), "");
    EXPECT_EQ(validate_text("[store]\npath = \"/var/lib/ringcast/\"\n"),
              "store.path = \"/var/lib/ringcast/\" names a directory; name the file "
              "(\"/var/lib/ringcast/ringcast.db\")");
    EXPECT_EQ(validate_text("[store]\npath = \"\"\n"), "") << "no store at all";
}

TEST(ConfigValidate, AlertsChannelsAndFile) {
    EXPECT_EQ(validate_text("[alerts]\nchannel = \"my alerts\"\n"),
              "alerts.channel = \"my alerts\" is not a valid channel name (1 to 128 of "
              "A-Z a-z 0-9 . _ : -)");
    EXPECT_EQ(validate_text("[alerts]\nadmin_channel = \"\"\n"),
              "alerts.admin_channel = \"\" is not a valid channel name (1 to 128 of "
              "A-Z a-z 0-9 . _ : -)");
    EXPECT_EQ(validate_text("[alerts]\npath = \"\"\n"),
              "alerts.path is empty: alerts are kept in a file (set alerts.enabled = false to "
              "have none)");
    EXPECT_EQ(validate_text("[alerts]\npath = \"\"\nenabled = false\n"), "");
    EXPECT_EQ(validate_text("[alerts]\npath = \"/srv/\"\n"),
              "alerts.path = \"/srv/\" names a directory; name the file (\"/srv/alerts.db\")");
    EXPECT_EQ(validate_text("[alerts]\nchannel = \"banners\"\npath = \"/srv/a.db\"\n"), "");
}

TEST(ConfigValidate, HeartbeatIntervalZero) {
    Config c = defaults();
    c.endpoints[1].heartbeat_interval_ms = 0;
    EXPECT_EQ(validate(c), "endpoint /api/sse: heartbeat_interval = 0 ms must be at least 100 ms");
    c = defaults();
    c.heartbeat_interval_ms = 0;
    EXPECT_EQ(validate(c), "sse.heartbeat_interval = 0 ms must be at least 100 ms");
}

TEST(ConfigValidate, QueueLimitIsAtMostMaxQueue) {
    EXPECT_EQ(validate_text("[delivery]\nqueue_limit = \"4MiB\"\n"), "") << "equal is fine";
    EXPECT_EQ(validate_text("[delivery]\nmax_queue = \"256KiB\"\n"),
              "delivery.queue_limit (1048576 bytes) is larger than delivery.max_queue (262144 "
              "bytes): the slow-reader policy applies past queue_limit, and max_queue closes the "
              "connection, so queue_limit must not exceed max_queue; lower queue_limit or raise "
              "max_queue");
    EXPECT_EQ(validate_text("[delivery]\nmax_queue = \"256KiB\"\nqueue_limit = \"64KiB\"\n"
                            "slow_reader = \"disconnect\"\n"),
              "");
    Config c = defaults();
    std::string err;
    EXPECT_FALSE(apply_config_text(c, "[delivery]\nslow_reader = \"block\"\n", "t.toml", &err));
    EXPECT_NE(err.find("delivery.slow_reader"), std::string::npos) << err;
    EXPECT_NE(err.find("\"disconnect\""), std::string::npos) << err;
}

TEST(ConfigValidate, Cors) {
    EXPECT_EQ(validate_text("[cors]\nallowed_origins = [\"*\"]\nallow_credentials = true\n"),
              "cors.allow_credentials = true cannot be used with cors.allowed_origins = [\"*\"] "
              "(browsers refuse credentials for a wildcard origin): list the origins");
    EXPECT_EQ(validate_text("[cors]\nallowed_origins = [\"*\", \"https://a.example\"]\n"),
              "cors.allowed_origins = [\"*\", \"https://a.example\"]: \"*\" allows every origin "
              "and cannot be combined with others");
    for (const char* bad : {"https://a.example/", "https://A.example", "a.example", "https://",
                            "https://a.example/app", "://a.example"})
        EXPECT_EQ(validate_text(std::string("[cors]\nallowed_origins = [\"") + bad + "\"]\n"),
                  std::string("cors.allowed_origins: \"") + bad +
                      "\" is not an origin: write scheme://host[:port] in lowercase, without a "
                      "path or a trailing slash (or \"*\" for any)")
            << bad;
    EXPECT_EQ(validate_text("[cors]\nallowed_origins = [\"https://a.example\", "
                            "\"http://localhost:3000\", \"http://[::1]:8080\"]\n"
                            "allow_credentials = true\n"),
              "");
    EXPECT_EQ(validate_text("[cors]\nallowed_origins = [\"*\"]\n"), "");
}

TEST(ConfigValidate, ApiKeys) {
    EXPECT_EQ(validate_text("[publish]\napi_keys = [\"good-key\", \"\"]\n"),
              "publish.api_keys[1] must be non-empty visible ASCII without spaces (it travels in "
              "an HTTP header)");
    std::string err = validate_text("[publish]\napi_keys = [\"has space\"]\n");
    EXPECT_EQ(err.find("has space"), std::string::npos) << "never quote a key: " << err;
    EXPECT_EQ(validate_text("[publish]\napi_keys = [\"k1-AbC_9.~+/=\"]\n"), "");
}

}  // namespace
}  // namespace ringcast
