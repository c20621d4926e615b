// Fan-out exactness: hundreds of real streams spread over every shard, a few
// hundred events on several channels; each stream gets exactly the events of
// its channels, once each, in order, byte-identical across streams.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

struct FanoutCase {
    unsigned shards;
    const char* accept;
};

void PrintTo(const FanoutCase& c, std::ostream* os) {
    *os << c.shards << " shards, accept=" << c.accept;
}

std::string case_name(const ::testing::TestParamInfo<FanoutCase>& info) {
    return std::to_string(info.param.shards) + "shards_" + info.param.accept;
}

struct Published {
    size_t channel;
    std::string id;
    std::string event;
    std::string data;
};

class Fanout : public ::testing::TestWithParam<FanoutCase> {
protected:
    static constexpr int kClients = 300;
    const std::vector<std::string> _channels = {"news", "sport.live", "chat:room-1", "ops_alerts"};

    // Starts the daemon and kClients streams; client i subscribes to the
    // non-empty channel subset number (i % 15) + 1. Checks that every stream is
    // counted, on every shard, per channel.
    void SetUp() override {
        const FanoutCase param = GetParam();
        ASSERT_TRUE(
            _daemon.start({.shards = param.shards, .extra_args = {"--accept", param.accept}}))
            << _daemon.error();
        _fleet = std::make_unique<SseFleet>(_daemon.port());
        _subs.resize(kClients);
        _subscribers.assign(_channels.size(), 0);
        for (int i = 0; i < kClients; ++i) {
            unsigned mask = unsigned(i % 15) + 1;
            std::string list;
            for (size_t c = 0; c < _channels.size(); ++c) {
                if (!(mask & (1u << c))) continue;
                _subs[i].push_back(c);
                ++_subscribers[c];
                list += (list.empty() ? "" : ",") + _channels[c];
            }
            _fleet->add((i % 3 ? "/api/sse/stream?channels=" : "/api/sse?channels=") + list);
        }
        ASSERT_TRUE(_fleet->run_until([&] { return _fleet->all_connected(); }, Deadline(30s)))
            << _fleet->problems();

        // Each connected event names the client's channels; ids are unique.
        std::set<std::string> ids;
        for (int i = 0; i < kClients; ++i) {
            const Json& hello = *(*_fleet)[i].connected;
            ids.insert(hello["connectionId"].as_string());
            std::vector<std::string> got, want;
            for (const Json& c : hello["channels"].items())
                got.push_back(c.as_string());
            for (size_t c : _subs[i])
                want.push_back(_channels[c]);
            EXPECT_EQ(got, want) << "client " << i;
        }
        EXPECT_EQ(ids.size(), size_t(kClients)) << "connection ids must be unique";

        _api.emplace(_daemon.port());
        ASSERT_TRUE(_api->connect()) << _api->error();
        Json stats;
        ASSERT_TRUE(await_stats(
            *_api, [&](const Json& s) { return s["totalConnections"].as_int() == kClients; },
            Deadline(10s), &stats, [&](int ms) { _fleet->pump(ms); }))
            << "totalConnections " << stats["totalConnections"].as_int();
        ASSERT_EQ(stats["shards"].size(), param.shards);
        int64_t sum = 0;
        for (const Json& shard : stats["shards"].items()) {
            EXPECT_GT(shard["connections"].as_int(), 0)
                << "shard " << shard["id"].as_int() << " holds no stream";
            sum += shard["connections"].as_int();
        }
        EXPECT_EQ(sum, kClients);
        EXPECT_EQ(stats["activeChannels"].as_int(), int64_t(_channels.size()));
        for (size_t c = 0; c < _channels.size(); ++c)
            EXPECT_EQ(stats["channels"][_channels[c]]["connections"].as_int(), _subscribers[c])
                << _channels[c];
    }

    bool subscribed(size_t client, size_t channel) const {
        return std::find(_subs[client].begin(), _subs[client].end(), channel) !=
               _subs[client].end();
    }

    // Publishes one "fence" event per channel on _api and awaits them on every
    // client. Bytes reach each connection in order, so once a client has its
    // fences, any duplicate or stray event would have arrived before them.
    void publish_fences_and_await(std::vector<Published>* published,
                                  std::vector<int64_t>* next_id) {
        for (size_t c = 0; c < _channels.size(); ++c) {
            std::string data = "{\"fence\":" + json_quote(_channels[c]) + "}";
            auto r = publish(*_api, _channels[c], "fence", data);
            ASSERT_TRUE(r) << _api->error();
            ASSERT_EQ(r->response.status, 200) << r->response.describe();
            EXPECT_EQ(r->sent, _subscribers[c]);
            if (next_id) {
                EXPECT_EQ(r->id, std::to_string((*next_id)[c]++));
            }
            if (published) published->push_back({c, r->id, "fence", data});
        }
        auto has_fences = [&](size_t i) {
            size_t fences = 0;
            for (const SseEvent* e : (*_fleet)[i].data_events())
                fences += e->type == "fence";
            return fences >= _subs[i].size();
        };
        ASSERT_TRUE(_fleet->run_until(
            [&] {
                for (size_t i = 0; i < _fleet->size(); ++i)
                    if (!has_fences(i)) return false;
                return true;
            },
            Deadline(60s)))
            << _fleet->problems();
        for (size_t i = 0; i < _fleet->size(); ++i)
            EXPECT_FALSE((*_fleet)[i].ended) << "client " << i << " was disconnected";
    }

    // Compares each client's events with `want(i)`; reports the first few
    // clients that differ.
    void expect_clients_received(
        const std::function<std::vector<const Published*>(size_t)>& want_of) {
        int bad_clients = 0;
        for (size_t i = 0; i < _fleet->size(); ++i) {
            std::vector<const Published*> want = want_of(i);
            auto got = (*_fleet)[i].data_events();
            size_t n = std::min(got.size(), want.size()), diff = n;
            for (size_t k = 0; k < n && diff == n; ++k) {
                const SseEvent& g = *got[k];
                const Published& w = *want[k];
                if (g.last_event_id != w.id || g.type != w.event || g.data != w.data) diff = k;
            }
            if (diff == n && got.size() == want.size()) continue;
            if (++bad_clients > 5) continue;
            std::string detail = "client " + std::to_string(i) + " (" + (*_fleet)[i].target +
                                 "): got " + std::to_string(got.size()) + " events, want " +
                                 std::to_string(want.size()) + "; first difference at #" +
                                 std::to_string(diff);
            if (diff < got.size())
                detail += "; got id " + got[diff]->last_event_id + " " + got[diff]->data;
            if (diff < want.size())
                detail += "; want id " + want[diff]->id + " " + want[diff]->data;
            ADD_FAILURE() << detail;
        }
        EXPECT_EQ(bad_clients, 0) << "clients whose events differ from what was published";
    }

    DaemonProcess _daemon;
    std::unique_ptr<SseFleet> _fleet;
    std::optional<HttpClient> _api;
    std::vector<std::vector<size_t>> _subs;  // channel indexes per client
    std::vector<int64_t> _subscribers;       // clients per channel
};

TEST_P(Fanout, EveryClientGetsEveryEventOfItsChannelsOnceInOrder) {
    constexpr int kEvents = 400;
    // Publish from one connection, irregularly interleaving channels; every
    // reply counts the channel's subscribers exactly.
    std::mt19937 rng(20240611);
    std::vector<Published> published;
    std::vector<int64_t> next_id(_channels.size(), 1);
    const char* names[] = {"update", "tick", "message", "alert"};
    for (int k = 0; k < kEvents; ++k) {
        size_t c = rng() % _channels.size();
        std::string event = names[rng() % 4];
        std::string data = "{\"seq\":" + std::to_string(k) +
                           ",\"channel\":" + json_quote(_channels[c]) + ",\"payload\":[" +
                           std::to_string(rng() % 1000) + ",\"" + std::string(k % 50, 'x') + "\"]}";
        auto r = publish(*_api, _channels[c], event, data);
        ASSERT_TRUE(r) << "publish " << k << ": " << _api->error();
        ASSERT_EQ(r->response.status, 200) << r->response.describe();
        EXPECT_EQ(r->id, std::to_string(next_id[c])) << "event " << k << " on " << _channels[c];
        EXPECT_EQ(r->sent, _subscribers[c]) << "event " << k << " on " << _channels[c];
        EXPECT_EQ(r->failed, 0) << "event " << k;
        published.push_back({c, std::to_string(next_id[c]++), event, data});
        _fleet->pump(0);
    }
    ASSERT_NO_FATAL_FAILURE(publish_fences_and_await(&published, &next_id));

    // Each publish was answered before the next was sent, so every client sees
    // its channels' events in exactly the publish order.
    expect_clients_received([&](size_t i) {
        std::vector<const Published*> want;
        for (const Published& p : published)
            if (subscribed(i, p.channel)) want.push_back(&p);
        return want;
    });

    // And the daemon counted the same.
    int64_t want_deliveries = 0;
    for (const Published& p : published)
        want_deliveries += _subscribers[p.channel];
    auto stats = fetch_stats(*_api);
    ASSERT_TRUE(stats) << _api->error();
    EXPECT_EQ((*stats)["eventsPublished"].as_int(), int64_t(published.size()));
    EXPECT_EQ((*stats)["deliveries"].as_int(), want_deliveries);
    EXPECT_EQ((*stats)["deliveryFailures"].as_int(), 0);
}

TEST_P(Fanout, ConcurrentPublishersAgreeOnOneOrderPerChannel) {
    // Several publisher connections (on different shards) each pipeline their
    // events in one write. The daemon numbers each channel's events in one
    // place: per channel, ids are 1..n, each id names the event whose reply
    // carried it, and every subscriber sees that same sequence.
    constexpr int kPublishers = 4, kPerPublisher = 100;
    std::vector<std::unique_ptr<HttpClient>> pubs;
    std::vector<std::vector<Published>> sent(kPublishers);
    std::mt19937 rng(77);
    for (int p = 0; p < kPublishers; ++p) {
        pubs.push_back(std::make_unique<HttpClient>(_daemon.port()));
        ASSERT_TRUE(pubs.back()->connect()) << pubs.back()->error();
        for (int k = 0; k < kPerPublisher; ++k) {
            size_t c = rng() % _channels.size();
            sent[p].push_back({c, "", "from" + std::to_string(p),
                               "{\"channel\":" + std::to_string(c) + ",\"publisher\":" +
                                   std::to_string(p) + ",\"k\":" + std::to_string(k) + "}"});
        }
    }
    for (int p = 0; p < kPublishers; ++p) {
        std::string batch;
        for (const Published& e : sent[p])
            batch += build_request("POST", "/api/publish",
                                   publish_body(_channels[e.channel], e.event, e.data));
        ASSERT_TRUE(pubs[p]->send(batch)) << pubs[p]->error();
    }
    // Replies, in request order per connection; the id each event was given.
    std::map<std::pair<size_t, std::string>, const Published*> by_id;  // (channel, id) -> event
    for (int p = 0; p < kPublishers; ++p) {
        for (Published& e : sent[p]) {
            _fleet->pump(0);
            auto r = pubs[p]->read_response();
            ASSERT_TRUE(r) << "publisher " << p << ": " << pubs[p]->error();
            ASSERT_EQ(r->status, 200) << r->describe();
            auto j = r->json();
            ASSERT_TRUE(j) << r->body;
            EXPECT_EQ((*j)["sent"].as_int(), _subscribers[e.channel]);
            e.id = (*j)["id"].as_string();
            EXPECT_TRUE(by_id.emplace(std::make_pair(e.channel, e.id), &e).second)
                << "id " << e.id << " given twice on " << _channels[e.channel];
        }
    }
    // Per channel the ids are exactly 1..n.
    std::vector<int64_t> per_channel(_channels.size(), 0);
    for (int p = 0; p < kPublishers; ++p)
        for (const Published& e : sent[p])
            ++per_channel[e.channel];
    for (size_t c = 0; c < _channels.size(); ++c)
        for (int64_t id = 1; id <= per_channel[c]; ++id)
            EXPECT_TRUE(by_id.count({c, std::to_string(id)}))
                << _channels[c] << " has no event with id " << id;

    std::vector<int64_t> next_id(per_channel);
    for (auto& n : next_id)
        ++n;
    std::vector<Published> fences;
    fences.reserve(_channels.size());
    ASSERT_NO_FATAL_FAILURE(publish_fences_and_await(&fences, &next_id));
    for (const Published& f : fences)
        by_id.emplace(std::make_pair(f.channel, f.id), &f);

    // Every client sees, per channel, the events in id order 1..n (then the
    // fence), each with the data its publisher sent; and each publisher's
    // events in the order it sent them.
    int bad_clients = 0;
    for (size_t i = 0; i < _fleet->size(); ++i) {
        std::string problem;
        std::vector<int64_t> next(_channels.size(), 1);
        std::vector<int> last_k(kPublishers, -1);
        for (const SseEvent* e : (*_fleet)[i].data_events()) {
            auto j = Json::parse(e->data);
            size_t c = j && j->has("channel")
                           ? size_t((*j)["channel"].as_int())
                           : size_t(std::find(_channels.begin(), _channels.end(),
                                              j ? (*j)["fence"].as_string() : "") -
                                    _channels.begin());
            if (c >= _channels.size() || !subscribed(i, c)) {
                problem = "an event not of its channels: " + e->data;
                break;
            }
            auto it = by_id.find({c, std::to_string(next[c])});
            if (e->last_event_id != std::to_string(next[c]) || it == by_id.end() ||
                it->second->data != e->data || it->second->event != e->type) {
                problem = "on " + _channels[c] + " expected id " + std::to_string(next[c]) +
                          ", got id " + e->last_event_id + " " + e->type + " " + e->data;
                break;
            }
            ++next[c];
            if (j->has("publisher")) {
                int p = int((*j)["publisher"].as_int()), k = int((*j)["k"].as_int());
                if (k <= last_k[p]) {
                    problem =
                        "publisher " + std::to_string(p) + "'s events out of order: " + e->data;
                    break;
                }
                last_k[p] = k;
            }
        }
        for (size_t c : _subs[i])
            if (problem.empty() && next[c] != next_id[c])
                problem = "on " + _channels[c] + " got " + std::to_string(next[c] - 1) +
                          " events, want " + std::to_string(next_id[c] - 1);
        if (!problem.empty() && ++bad_clients <= 5)
            ADD_FAILURE() << "client " << i << ": " << problem;
    }
    EXPECT_EQ(bad_clients, 0) << "clients whose events differ from what was published";
}

INSTANTIATE_TEST_SUITE_P(Shards, Fanout,
                         ::testing::Values(FanoutCase{2, "handoff"}, FanoutCase{4, "handoff"},
                                           FanoutCase{4, "reuseport"}),
                         case_name);

}  // namespace
}  // namespace ringcast::itest
