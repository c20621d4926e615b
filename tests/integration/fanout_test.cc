// Fan-out exactness: hundreds of real streams spread over every shard, a few
// hundred events on several channels; each stream gets exactly the events of
// its channels, once each, in order, byte-identical across streams. The daemon
// numbers every event of every channel with one sequence ("<epoch>-<n>"), so
// "in order" is: in increasing sequence.
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
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

    // Checks that `id` is a daemon-assigned id of this run (the epoch of the
    // first id seen) and returns its sequence (0 if it is not one).
    uint64_t sequence_of(const std::string& id) {
        uint64_t seq = id_sequence(id);
        if (seq == 0) return 0;
        if (_epoch.empty()) _epoch = id_epoch(id);
        EXPECT_EQ(id_epoch(id), _epoch) << "every id of one daemon run has its epoch: " << id;
        return seq;
    }

    // Publishes one "fence" event per channel on _api, one after another, and
    // awaits them on every client. Bytes reach each connection in order, so
    // once a client has its fences, any duplicate or stray event would have
    // arrived before them. The fences take the next numbers of the daemon's one
    // sequence: *next_seq, *next_seq + 1, ...
    void publish_fences_and_await(std::vector<Published>* published, uint64_t* next_seq) {
        for (size_t c = 0; c < _channels.size(); ++c) {
            std::string data = "{\"fence\":" + json_quote(_channels[c]) + "}";
            auto r = publish(*_api, _channels[c], "fence", data);
            ASSERT_TRUE(r) << _api->error();
            ASSERT_EQ(r->response.status, 200) << r->response.describe();
            EXPECT_EQ(r->sent, _subscribers[c]);
            EXPECT_EQ(sequence_of(r->id), (*next_seq)++) << "fence on " << _channels[c];
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
    std::string _epoch;                      // of the first event id seen
};

TEST_P(Fanout, EveryClientGetsEveryEventOfItsChannelsOnceInOrder) {
    constexpr int kEvents = 400;
    // Publish from one connection, irregularly interleaving channels; every
    // reply counts the channel's subscribers exactly. Each publish is answered
    // before the next is sent, so the daemon's one sequence (over all channels)
    // numbers them 1, 2, 3... in publish order.
    std::mt19937 rng(20240611);
    std::vector<Published> published;
    uint64_t next_seq = 1;
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
        EXPECT_EQ(sequence_of(r->id), next_seq) << "event " << k << " on " << _channels[c];
        EXPECT_EQ(r->sent, _subscribers[c]) << "event " << k << " on " << _channels[c];
        EXPECT_EQ(r->failed, 0) << "event " << k;
        published.push_back({c, event_id(_epoch, next_seq++), event, data});
        _fleet->pump(0);
    }
    ASSERT_NO_FATAL_FAILURE(publish_fences_and_await(&published, &next_seq));

    // Each publish was answered before the next was sent, so every client sees
    // its channels' events in exactly the publish order, which is increasing
    // sequence order, each with the id its publish reply carried.
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

TEST_P(Fanout, ConcurrentPublishersAgreeOnOneSequenceAcrossChannels) {
    // Several publisher connections (on different shards) each pipeline their
    // events in one write. The daemon numbers every event of every channel in
    // one place (the log): the ids are exactly <epoch>-1..<epoch>-n over all
    // channels, each id names the event whose reply carried it, each
    // publisher's events are numbered in the order it sent them, and every
    // subscriber sees all of its channels' events in increasing sequence.
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
    std::map<uint64_t, const Published*> by_seq;  // sequence -> event
    for (int p = 0; p < kPublishers; ++p) {
        uint64_t last_seq = 0;
        for (Published& e : sent[p]) {
            _fleet->pump(0);
            auto r = pubs[p]->read_response();
            ASSERT_TRUE(r) << "publisher " << p << ": " << pubs[p]->error();
            ASSERT_EQ(r->status, 200) << r->describe();
            auto j = r->json();
            ASSERT_TRUE(j) << r->body;
            EXPECT_EQ((*j)["sent"].as_int(), _subscribers[e.channel]);
            e.id = (*j)["id"].as_string();
            uint64_t seq = sequence_of(e.id);
            EXPECT_GT(seq, last_seq)
                << "publisher " << p << "'s events numbered out of order: " << e.id << " after "
                << last_seq << ", " << e.data;
            last_seq = seq;
            EXPECT_TRUE(by_seq.emplace(seq, &e).second) << "id " << e.id << " given twice";
        }
    }
    // Over all channels together the sequences are exactly 1..n.
    const uint64_t total = uint64_t(kPublishers) * kPerPublisher;
    EXPECT_EQ(by_seq.size(), total);
    for (uint64_t seq = 1; seq <= total; ++seq)
        EXPECT_TRUE(by_seq.count(seq)) << "no event has sequence " << seq;

    // The fences are published one after another once every reply is in: they
    // take the next numbers.
    uint64_t next_seq = total + 1;
    std::vector<Published> fences;
    fences.reserve(_channels.size());
    ASSERT_NO_FATAL_FAILURE(publish_fences_and_await(&fences, &next_seq));
    for (const Published& f : fences)
        by_seq.emplace(id_sequence(f.id), &f);

    // Every client sees exactly its channels' events, once each, in increasing
    // sequence (the fences last), each with the id, type and data of the
    // publish whose reply carried that id. (With each publisher's sequences
    // increasing, this includes each publisher's events in the order it sent
    // them.)
    expect_clients_received([&](size_t i) {
        std::vector<const Published*> want;
        for (const auto& [seq, e] : by_seq)
            if (subscribed(i, e->channel)) want.push_back(e);
        return want;
    });
}

INSTANTIATE_TEST_SUITE_P(Shards, Fanout,
                         ::testing::Values(FanoutCase{2, "handoff"}, FanoutCase{4, "handoff"},
                                           FanoutCase{4, "reuseport"}),
                         case_name);

}  // namespace
}  // namespace ringcast::itest
