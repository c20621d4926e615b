// A configuration's problems are reported in the order of the file, whatever
// order the loader found them in: values are read before the rules across keys
// are checked, toml++ hands a table's keys sorted by name, and parsing stops at
// a syntax error. A rule that read a value the file did not manage to set is
// not reported at all (the value's own problem is).
#include "config/problems.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.h"

namespace ringcast {
namespace {

// The report for `text` as the daemon makes it: defaults, the text, the rules.
std::vector<std::string> problems_of(const std::string& text) {
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(c, "", &err)) << err;
    ConfigProblems p;
    apply_config_text(c, text, "f.toml", &p);
    validate_config(c, &p);
    std::vector<std::string> lines;
    std::string report = p.report();
    for (size_t at = 0; at < report.size();) {
        size_t end = std::min(report.find('\n', at), report.size());
        lines.push_back(report.substr(at, end - at));
        at = end + 1;
    }
    return lines;
}

TEST(ConfigProblems, ARuleBrokenAboveABadValueComesFirst) {
    // The rule (queue_limit above max_queue) is checked after every value is
    // read, so it used to be reported after the bad key of line 4, or not at all.
    auto lines = problems_of("[delivery]\nqueue_limit = \"8MiB\"\n[server]\nbogus = 1\n");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(
        lines[0].starts_with("f.toml:2: delivery.queue_limit (8388608 bytes) is larger "
                             "than delivery.max_queue"))
        << lines[0];
    EXPECT_EQ(lines[1], "f.toml:4: unknown key 'server.bogus'");
}

TEST(ConfigProblems, KeysOfATableInTheOrderWritten) {
    // Alphabetically accept < shards; in the file shards comes first.
    auto lines = problems_of("[server]\nshards = \"x\"\naccept = \"random\"\n");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "f.toml:2: 'server.shards' expected an integer");
    EXPECT_TRUE(lines[1].starts_with("f.toml:3: 'server.accept' must be one of")) << lines[1];

    // Sections too: [sse] before [publish], although publish < sse.
    lines = problems_of("[sse]\nretry = true\n[publish]\nmax_line = \"x\"\n");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(lines[0].starts_with("f.toml:2: 'sse.retry'")) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("f.toml:4: 'publish.max_line'")) << lines[1];

    // And the keys of an [[endpoint]] block.
    lines = problems_of("[[endpoint]]\npath = \"/a\"\nrequire_auth = 1\nchannels = 2\n");
    ASSERT_EQ(lines.size(), 1u) << "a bad block is one problem";
    EXPECT_EQ(lines[0], "f.toml:3: 'endpoint[0].require_auth' expected true or false");
}

TEST(ConfigProblems, AValueAboveASyntaxErrorComesFirst) {
    auto lines = problems_of("[server]\nhttp = 8080\n\n[sse]\nretry = = 1\n");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], "f.toml:2: 'server.http' expected a string");
    EXPECT_TRUE(lines[1].starts_with("f.toml:5:")) << lines[1];
}

TEST(ConfigProblems, NoRuleIsJudgedOnAValueTheFileFailedToSet) {
    // secret_file = 5 is refused, so the rule "HS256 needs secret_file" would
    // blame line 2 for what line 3 got wrong.
    auto lines = problems_of("[auth]\nalgorithm = \"HS256\"\nsecret_file = 5\n");
    ASSERT_EQ(lines, std::vector<std::string>{"f.toml:3: 'auth.secret_file' expected a string"});

    // Nor on endpoints when a block is bad (the whole list keeps the defaults).
    lines = problems_of(
        "[[endpoint]]\npath = \"/a\"\nchanels = []\n"
        "[[endpoint]]\npath = \"/a\"\n");
    ASSERT_EQ(lines, std::vector<std::string>{"f.toml:3: unknown key 'endpoint[0].chanels' (did "
                                              "you mean 'endpoint[0].channels'?)"});
}

TEST(ConfigProblems, RulesArePlacedAtTheirFirstKeyInTheFile) {
    auto lines = problems_of(
        "[cors]\nallowed_origins = [\"*\"]\nallow_credentials = true\n"
        "[[endpoint]]\npath = \"/a\"\n[[endpoint]]\npath = \"/a\"\n");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(lines[0].starts_with("f.toml:2: cors.allow_credentials = true cannot be used"))
        << lines[0];
    EXPECT_EQ(lines[1],
              "f.toml:7: endpoint[1].path = \"/a\" is already endpoint[0]'s: paths must be unique");
}

TEST(ConfigProblems, RulesAboutKeysTheFileDoesNotSetComeLast) {
    Config c;
    std::string err;
    ASSERT_TRUE(load_config(c, "", &err)) << err;
    ConfigProblems p;
    apply_config_text(c, "[server]\nshards = \"x\"\n", "f.toml", &p);
    c.recv_buffers = 100;  // as if a flag had set it
    validate_config(c, &p);
    EXPECT_EQ(p.report(),
              "f.toml:2: 'server.shards' expected an integer\n"
              "engine.recv_buffers = 100 must be a power of two");
}

TEST(ConfigProblems, AGoodFileHasNone) {
    EXPECT_TRUE(problems_of("[server]\nshards = 2\n[delivery]\nqueue_limit = \"2MiB\"\n").empty());
}

}  // namespace
}  // namespace ringcast
