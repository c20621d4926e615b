#pragma once
// Events in tests: an owning handle, messages with every field set, and a field
// by field comparison (for events that went through storage and back).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pubsub/event.h"
#include "pubsub/message.h"

namespace ringcast::test {

// Owns one reference.
struct EventRef {
    Event* e = nullptr;
    EventRef() = default;
    explicit EventRef(Event* ev) : e(ev) {}
    EventRef(const EventRef&) = delete;
    EventRef& operator=(const EventRef&) = delete;
    EventRef(EventRef&& o) noexcept : e(o.e) { o.e = nullptr; }
    ~EventRef() {
        if (e) e->release();
    }
    Event* operator->() const { return e; }
    Event* get() const { return e; }
};

// A numbered event of `channel` with a payload that names it.
inline Event* numbered_event(std::string_view channel, uint64_t sequence,
                             std::string_view epoch = "mk3l0q", size_t payload = 40) {
    std::string data =
        "{\"n\":" + std::to_string(sequence) + ",\"pad\":\"" + std::string(payload, 'x') + "\"}";
    Event* e = Event::build(channel, "update", data, "", 1'700'000'000'000 + int64_t(sequence));
    e->assign_sequence(sequence, epoch);
    return e;
}

inline std::vector<std::string> strings(const StringList& l) {
    std::vector<std::string> out;
    l.for_each([&](std::string_view s) { out.emplace_back(s); });
    return out;
}

// Everything a shard can observe of an event.
inline void expect_same_event(const Event& a, const Event& b) {
    EXPECT_EQ(a.view(), b.view());
    EXPECT_EQ(a.size(), b.size());
    EXPECT_EQ(a.id(), b.id());
    EXPECT_EQ(a.has_explicit_id(), b.has_explicit_id());
    EXPECT_EQ(a.channel(), b.channel());
    EXPECT_EQ(a.channel_hash(), b.channel_hash());
    EXPECT_EQ(a.sequence(), b.sequence());
    EXPECT_EQ(a.timestamp_ms(), b.timestamp_ms());
    EXPECT_EQ(a.expires_at_ms(), b.expires_at_ms());
    EXPECT_EQ(a.priority(), b.priority());
    EXPECT_EQ(a.persistent(), b.persistent());
    EXPECT_EQ(a.retryable(), b.retryable());
    EXPECT_EQ(a.for_everyone(), b.for_everyone());
    TargetView ta = a.target(), tb = b.target();
    EXPECT_EQ(ta.kind, tb.kind);
    EXPECT_EQ(ta.require_auth, tb.require_auth);
    EXPECT_EQ(ta.everyone(), tb.everyone());
    EXPECT_EQ(strings(ta.users), strings(tb.users));
    EXPECT_EQ(strings(ta.roles), strings(tb.roles));
    EXPECT_EQ(strings(ta.permissions), strings(tb.permissions));
    EXPECT_EQ(strings(ta.exclude), strings(tb.exclude));
}

}  // namespace ringcast::test
