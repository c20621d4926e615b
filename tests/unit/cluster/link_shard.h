#pragma once
// Redis links on a real shard (core/shard_threads.h) against a real
// redis-server (tests/common/redis_server.h): the shard routes the links'
// completions and timers to them and flushes them once per turn, as the
// daemon's Shard does. The test thread makes links and gives commands on the
// shard's thread (on_shard), and awaits what their callbacks report (Progress),
// never by sleeping.
#include <atomic>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../../common/redis_server.h"
#include "cluster/redis_link.h"
#include "core/blocking_worker.h"
#include "core/shard_threads.h"
#include "core/user_data.h"

namespace ringcast::test {

class LinkShard final : public TestShard {
public:
    using TestShard::TestShard;

    // On the shard's thread only.
    std::vector<std::unique_ptr<RedisLink>> links;

    void on_completion(const io_uring_cqe& cqe) override {
        switch (op_of(cqe.user_data)) {
            case Op::redis_connect:
            case Op::redis_send:
            case Op::redis_recv:
                pointer_of<RedisLink>(cqe.user_data)->on_completion(cqe);
                notify();
                return;
            default: count_unexpected();
        }
    }
    void on_timer(TimerNode* n) override {
        for (auto& l : links)
            if (l->owns(n)) {
                l->on_timer(n);
                notify();
                return;
            }
        count_unexpected();
    }
    void before_sleep() override {
        bool stopped = true;
        uint64_t failed = 0;
        for (auto& l : links) {
            l->flush();
            stopped &= l->stopped();
            failed += l->stats().failures;
        }
        if (failed != failures.load()) {
            failures.store(failed);
            notify();
        }
        if (stopped != all_stopped.load()) {
            all_stopped.store(stopped);
            notify();
        }
    }

    // Every link has stopped (as of the end of the last turn).
    std::atomic<bool> all_stopped{true};
    // Failed attempts and lost connections of all links (as of then).
    std::atomic<uint64_t> failures{0};
};

// What a link's callbacks saw, read from the test thread.
struct LinkLog {
    std::mutex mutex;
    int ups = 0;
    int downs = 0;
    std::string last_down;
    std::vector<std::string> replies;   // describe() of each completion, in order
    std::vector<std::string> messages;  // "channel=payload (pattern)"

    template <typename F>
    auto locked(F f) {
        std::lock_guard lock(mutex);
        return f();
    }
};

class RedisLinkTest : public TwoShardTest<LinkShard> {
protected:
    void SetUp() override {
        if (redis_server_path().empty())
            GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
        TwoShardTest::SetUp();
    }
    void TearDown() override {
        if (redis_server_path().empty()) return;
        // The links end their sockets on the shard, then go, while it turns.
        on_shard([&] {
            for (auto& l : shard(0).links)
                l->stop();
            return 0;
        });
        EXPECT_TRUE(await([&] { return shard(0).all_stopped.load(); })) << "a link did not stop";
        on_shard([&] {
            shard(0).links.clear();
            return 0;
        });
        _worker.stop();
        TwoShardTest::TearDown();
    }

    // Runs fn on shard 0's thread and returns what it returned.
    template <typename F>
    auto on_shard(F fn) -> decltype(fn()) {
        auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
        auto result = task->get_future();
        _driver.run_on(0, [task] { (*task)(); });
        EXPECT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
        return result.get();
    }
    // Awaits pred, checked again at each completion and timer of a link. It
    // reads only what the callbacks wrote (a LinkLog, an atomic): never the
    // shard (on_shard would wait for a shard that waits for this lock).
    template <typename P>
    bool await(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        return _progress.wait(pred, timeout);
    }

    // A link on shard 0 to `url` whose callbacks fill `log`; started.
    RedisLink* make_link(const std::string& url, RedisRole role, LinkLog& log,
                         RedisLinkOptions o = fast()) {
        std::string why;
        EXPECT_TRUE(parse_redis_url(url, &o.endpoint, &why)) << why;
        return on_shard([&, o] {
            auto link = std::make_unique<RedisLink>(shard(0).reactor(), &_worker, role, o);
            link->on_state([&log](bool up, std::string_view why) {
                log.locked([&] {
                    if (up) {
                        ++log.ups;
                    } else {
                        ++log.downs;
                        log.last_down = std::string(why);
                    }
                    return 0;
                });
            });
            link->on_message(
                [&log](std::string_view ch, std::string_view payload, std::string_view pattern) {
                    log.locked([&] {
                        log.messages.push_back(std::string(ch) + "=" + std::string(payload) + " (" +
                                               std::string(pattern) + ")");
                        return 0;
                    });
                });
            RedisLink* raw = link.get();
            shard(0).links.push_back(std::move(link));
            raw->start();
            return raw;
        });
    }
    // Short timeouts and waits, so that failures and reconnects take little time.
    static RedisLinkOptions fast() {
        RedisLinkOptions o;
        o.connect_timeout_ms = 2000;
        o.command_timeout_ms = 2000;
        o.reconnect_min_ms = 10;
        o.reconnect_max_ms = 100;
        o.ping_interval_ms = 200;
        return o;
    }
    // Gives a command on the shard; its reply lands in log.replies.
    void command(RedisLink* link, std::vector<std::string> args, LinkLog& log) {
        on_shard([&, link, args] {
            std::vector<std::string_view> views(args.begin(), args.end());
            link->command(views, [&log](const RespValue& v) {
                log.locked([&] {
                    log.replies.push_back(v.describe());
                    return 0;
                });
            });
            return 0;
        });
    }
    size_t replies(LinkLog& log) {
        return log.locked([&] { return log.replies.size(); });
    }
    bool await_up(LinkLog& log, int ups = 1) {
        return await([&] { return log.locked([&] { return log.ups >= ups; }); });
    }

    // Owned by the fixture, not the test body: the links, which call back
    // into the logs and see the servers go, are stopped in TearDown() first.
    RedisServer& new_server() { return *_servers.emplace_back(std::make_unique<RedisServer>()); }
    LinkLog& new_log() { return _logs.emplace_back(); }

    BlockingWorker _worker{_mesh, "rc-test-worker"};
    std::deque<LinkLog> _logs;
    std::deque<std::unique_ptr<RedisServer>> _servers;
};

}  // namespace ringcast::test
