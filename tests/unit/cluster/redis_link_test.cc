// The Redis link (cluster/redis_link.h) on a real shard against a real
// redis-server (link_shard.h): pipelined commands complete in order, a reply
// larger than many receives arrives whole, a subscriber gets its messages and
// gets them again after Redis was killed and restarted (resubscribed), AUTH
// and SELECT come from the URL, a command Redis never answers times out and
// the link comes back, a host name is resolved off the shard, and a server
// that is not there yet is reached once it is.
#include <gtest/gtest.h>

#include "link_shard.h"

namespace ringcast::test {
namespace {

using namespace std::chrono_literals;

TEST_F(RedisLinkTest, PipelinedCommandsCompleteInTheOrderGiven) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    constexpr int kCommands = 500;
    // All in one loop turn: one send carries them, and the replies come back
    // in as many receives as the kernel cuts them into.
    on_shard([&] {
        for (int i = 0; i < kCommands; ++i)
            link->command({"INCR", "counter"}, [&log](const RespValue& v) {
                log.locked([&] {
                    log.replies.push_back(v.describe());
                    return 0;
                });
            });
        return 0;
    });
    ASSERT_TRUE(await([&] { return replies(log) == kCommands; }));
    for (int i = 0; i < kCommands; ++i)
        ASSERT_EQ(log.replies[size_t(i)], ":" + std::to_string(i + 1)) << "reply " << i;
    EXPECT_EQ(on_shard([&] { return link->stats().commands; }), uint64_t(kCommands));
}

TEST_F(RedisLinkTest, ALargeBulkReplyArrivesWholeAcrossReceives) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    std::string big(3 * 1024 * 1024 + 17, 'x');  // ~200 receives of 16 KiB
    for (size_t i = 0; i < big.size(); i += 4093)
        big[i] = char('a' + i % 26);
    command(link, {"SET", "big", big}, log);
    command(link, {"GET", "big"}, log);
    command(link, {"STRLEN", "big"}, log);
    ASSERT_TRUE(await([&] { return replies(log) == 3; }));
    EXPECT_EQ(log.replies[0], "+OK");
    EXPECT_TRUE(log.replies[1] == "$" + big)
        << "the value came back different, " << log.replies[1].size() << " bytes";
    EXPECT_EQ(log.replies[2], ":" + std::to_string(big.size()));
}

TEST_F(RedisLinkTest, RepliesOfEveryTypeAndErrors) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    command(link, {"RPUSH", "l", "a", "", "c"}, log);
    command(link, {"LRANGE", "l", "0", "-1"}, log);
    command(link, {"GET", "missing"}, log);
    command(link, {"NOSUCHCOMMAND"}, log);
    command(link, {"PING"}, log);  // the link goes on after an error reply
    ASSERT_TRUE(await([&] { return replies(log) == 5; }));
    EXPECT_EQ(log.replies[0], ":3");
    EXPECT_EQ(log.replies[1], "[$a, $, $c]");
    EXPECT_EQ(log.replies[2], "(nil)");
    EXPECT_EQ(log.replies[3].rfind("-ERR unknown command", 0), 0u) << log.replies[3];
    EXPECT_EQ(log.replies[4], "+PONG");
}

TEST_F(RedisLinkTest, SubscriberGetsMessagesAndResubscribesAfterRedisRestarts) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& sub_log = new_log();
    LinkLog& cmd_log = new_log();
    RedisLink* sub = make_link(redis.unix_url(), RedisRole::subscriber, sub_log);
    on_shard([&] {
        sub->subscribe("news");
        sub->psubscribe("user:*");
        return 0;
    });
    RedisLink* cmd = make_link(redis.unix_url(), RedisRole::commands, cmd_log);
    // Up means the subscriptions are confirmed: they precede the PING that
    // brings the link up.
    ASSERT_TRUE(await_up(sub_log)) << sub_log.last_down;
    ASSERT_TRUE(await_up(cmd_log)) << cmd_log.last_down;
    command(cmd, {"PUBLISH", "news", "hello"}, cmd_log);
    command(cmd, {"PUBLISH", "user:42", "for 42"}, cmd_log);
    command(cmd, {"PUBLISH", "other", "nobody"}, cmd_log);
    ASSERT_TRUE(
        await([&] { return sub_log.locked([&] { return sub_log.messages.size() == 2; }); }));
    EXPECT_EQ(sub_log.messages[0], "news=hello ()");
    EXPECT_EQ(sub_log.messages[1], "user:42=for 42 (user:*)");
    ASSERT_TRUE(await([&] { return replies(cmd_log) == 3; }));
    EXPECT_EQ(cmd_log.replies[0], ":1");  // one subscriber received it

    // Redis dies without a word and comes back on the same socket.
    redis.kill();
    ASSERT_TRUE(await([&] {
        return sub_log.locked([&] { return sub_log.downs >= 1; }) &&
               cmd_log.locked([&] { return cmd_log.downs >= 1; });
    }));
    command(cmd, {"PUBLISH", "news", "lost"}, cmd_log);  // down: fails at once
    EXPECT_EQ(cmd_log.replies.back(), "(no reply: the Redis link is down)");
    ASSERT_TRUE(redis.start()) << redis.error();
    ASSERT_TRUE(await_up(sub_log, 2)) << sub_log.last_down;
    ASSERT_TRUE(await_up(cmd_log, 2)) << cmd_log.last_down;
    command(cmd, {"PUBLISH", "news", "again"}, cmd_log);
    command(cmd, {"PUBLISH", "user:7", "for 7"}, cmd_log);
    ASSERT_TRUE(
        await([&] { return sub_log.locked([&] { return sub_log.messages.size() == 4; }); }));
    EXPECT_EQ(sub_log.messages[2], "news=again ()");
    EXPECT_EQ(sub_log.messages[3], "user:7=for 7 (user:*)");

    // What the link holds is what it subscribes to after the next restart:
    // "news" no longer, the pattern still.
    on_shard([&] {
        sub->unsubscribe("news");
        return 0;
    });
    redis.kill();
    ASSERT_TRUE(redis.start()) << redis.error();
    ASSERT_TRUE(await_up(sub_log, 3)) << sub_log.last_down;
    ASSERT_TRUE(await_up(cmd_log, 3)) << cmd_log.last_down;
    const size_t before = replies(cmd_log);
    command(cmd, {"PUBLISH", "news", "unheard"}, cmd_log);
    command(cmd, {"PUBLISH", "user:1", "heard"}, cmd_log);
    ASSERT_TRUE(await([&] { return replies(cmd_log) == before + 2; }));
    EXPECT_EQ(cmd_log.replies[before], ":0") << "still subscribed to news";
    EXPECT_EQ(cmd_log.replies[before + 1], ":1");
    ASSERT_TRUE(
        await([&] { return sub_log.locked([&] { return sub_log.messages.size() == 5; }); }));
    EXPECT_EQ(sub_log.messages[4], "user:1=heard (user:*)");
}

TEST_F(RedisLinkTest, PasswordAndDatabaseComeFromTheUrl) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start({.tcp = true, .password = "s3cret:@"})) << redis.error();
    const std::string host = "127.0.0.1:" + std::to_string(redis.port());
    LinkLog& wrong = new_log();
    make_link("redis://:nope@" + host, RedisRole::commands, wrong);
    ASSERT_TRUE(await([&] { return wrong.locked([&] { return wrong.downs >= 1; }); }));
    EXPECT_NE(wrong.last_down.find("Redis refused AUTH: WRONGPASS"), std::string::npos)
        << wrong.last_down;
    EXPECT_EQ(wrong.last_down.find("nope"), std::string::npos) << "the password in a log line";

    LinkLog& none = new_log();
    make_link("redis://" + host, RedisRole::commands, none);
    ASSERT_TRUE(await([&] { return none.locked([&] { return none.downs >= 1; }); }));
    EXPECT_NE(none.last_down.find("NOAUTH"), std::string::npos) << none.last_down;

    LinkLog& db3 = new_log();
    LinkLog& db0 = new_log();
    RedisLink* l3 = make_link("redis://:s3cret%3A%40@" + host + "/3", RedisRole::commands, db3);
    RedisLink* l0 = make_link("redis://default:s3cret%3a%40@" + host, RedisRole::commands, db0);
    ASSERT_TRUE(await_up(db3)) << db3.last_down;
    ASSERT_TRUE(await_up(db0)) << db0.last_down;
    command(l3, {"SET", "k", "in 3"}, db3);
    ASSERT_TRUE(await([&] { return replies(db3) == 1; }));
    command(l3, {"GET", "k"}, db3);
    command(l0, {"GET", "k"}, db0);
    ASSERT_TRUE(await([&] { return replies(db3) == 2 && replies(db0) == 1; }));
    EXPECT_EQ(db3.replies[1], "$in 3");
    EXPECT_EQ(db0.replies[0], "(nil)");
    EXPECT_EQ(db0.ups, 1);
}

TEST_F(RedisLinkTest, ACommandNeverAnsweredTimesOutAndTheLinkComesBack) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLinkOptions o = fast();
    o.command_timeout_ms = 300;
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log, o);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    command(link, {"BLPOP", "never", "0"}, log);  // blocks forever
    command(link, {"PING"}, log);                 // behind it
    ASSERT_TRUE(await([&] { return replies(log) == 2; }));
    EXPECT_EQ(log.replies[0], "(no reply: no answer from Redis within 300 ms)");
    EXPECT_EQ(log.replies[1], "(no reply: no answer from Redis within 300 ms)");
    ASSERT_TRUE(await_up(log, 2)) << log.last_down;
    command(link, {"PING"}, log);
    ASSERT_TRUE(await([&] { return replies(log) == 3; }));
    EXPECT_EQ(log.replies[2], "+PONG");
    EXPECT_EQ(on_shard([&] { return link->stats().no_replies; }), 2u);
}

TEST_F(RedisLinkTest, CommandsInFlightWhenRedisDiesGetNoReply) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    command(link, {"BLPOP", "never", "0"}, log);
    // Killed once Redis holds the command (blocked on it), as another link sees.
    LinkLog& probe_log = new_log();
    RedisLink* probe = make_link(redis.unix_url(), RedisRole::commands, probe_log);
    ASSERT_TRUE(await_up(probe_log)) << probe_log.last_down;
    bool blocked = false;
    for (size_t i = 1; i <= 200 && !blocked; ++i) {
        command(probe, {"INFO", "clients"}, probe_log);
        ASSERT_TRUE(await([&] { return replies(probe_log) == i; }));
        blocked = probe_log.locked([&] {
            return probe_log.replies.back().find("blocked_clients:1") != std::string::npos;
        });
    }
    ASSERT_TRUE(blocked) << "Redis never held the BLPOP";
    redis.kill();
    ASSERT_TRUE(await([&] { return replies(log) == 1; }));
    // An EOF, or a reset when Redis died with bytes unread: either way, gone.
    EXPECT_TRUE(log.replies[0] == "(no reply: Redis closed the connection)" ||
                log.replies[0] == "(no reply: receive: Connection reset by peer)")
        << log.replies[0];
    EXPECT_EQ(log.downs, 1);
}

TEST_F(RedisLinkTest, AHostNameIsResolvedOffTheShardOverTcp) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start({.tcp = true})) << redis.error();
    ASSERT_EQ(_worker.start(), 0);
    LinkLog& log = new_log();
    RedisLink* link =
        make_link("redis://localhost:" + std::to_string(redis.port()), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    command(link, {"ECHO", "over tcp"}, log);
    ASSERT_TRUE(await([&] { return replies(log) == 1; }));
    EXPECT_EQ(log.replies[0], "$over tcp");
}

TEST_F(RedisLinkTest, ARedisNotThereYetIsReachedOnceItIs) {
    RedisServer& redis = new_server();  // its socket path, not yet listening
    LinkLog& log = new_log();
    make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await([&] { return log.locked([&] { return log.downs == 1; }); }));
    EXPECT_NE(log.last_down.find("No such file or directory"), std::string::npos) << log.last_down;
    // Attempts go on (with backoff), and the down state was reported once.
    ASSERT_TRUE(await([&] { return shard(0).failures.load() >= 3; }));
    EXPECT_EQ(log.downs, 1);
    ASSERT_TRUE(redis.start()) << redis.error();
    ASSERT_TRUE(await_up(log)) << log.last_down;
}

TEST_F(RedisLinkTest, AStoppedLinkCompletesWhatItHeldAndStaysDown) {
    RedisServer& redis = new_server();
    ASSERT_TRUE(redis.start()) << redis.error();
    LinkLog& log = new_log();
    RedisLink* link = make_link(redis.unix_url(), RedisRole::commands, log);
    ASSERT_TRUE(await_up(log)) << log.last_down;
    command(link, {"BLPOP", "never", "0"}, log);
    on_shard([&] {
        link->stop();
        return 0;
    });
    ASSERT_TRUE(await([&] { return replies(log) == 1 && shard(0).all_stopped.load(); }));
    EXPECT_EQ(log.replies[0], "(no reply: the link is stopping)");
    EXPECT_EQ(log.downs, 0) << "a stop is not reported as a failure";
}

}  // namespace
}  // namespace ringcast::test
