#pragma once
// Who is listening on one shard: each stream's identity and subscriptions (a
// Member), an index from user id to that user's streams, and the interned role and
// permission names their identities use.
//
// Targeting reads it per event: an event for some users walks only those users'
// streams (work proportional to their connections, not to the channel's
// subscribers), and an event for roles or permissions resolves its names to ids
// once, then tests each subscriber with a bit AND (name_set.h).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pubsub/channel_index.h"
#include "pubsub/name_set.h"
#include "pubsub/target.h"

namespace ringcast {

class Connection;

// One stream as the audience sees it; owned by the stream's protocol layer.
struct Member {
    Connection* connection = nullptr;
    const Identity* who = &kAnonymous;
    Subscription* subs = nullptr;
    uint16_t nsubs = 0;
    bool indexed = false;   // listed under its user
    uint32_t user_pos = 0;  // position in its user's list

    // Its subscription to `ch`, if any (a stream holds a handful of channels).
    const Subscription* subscription(const Channel* ch) const {
        for (uint16_t i = 0; i < nsubs; ++i)
            if (subs[i].channel == ch) return &subs[i];
        return nullptr;
    }
};

class Audience {
public:
    // Fills who.roles / who.permissions from names, interning them on this shard.
    void set_names(Identity& who, const std::vector<std::string>& roles,
                   const std::vector<std::string>& permissions);
    // The names behind an identity's ids (connection info).
    std::vector<std::string> role_names(const Identity& who) const;
    std::vector<std::string> permission_names(const Identity& who) const;

    ResolvedTarget resolve(const TargetView& t) const;
    // The same for a target that stays (an alert's): its names are interned now,
    // so that streams which arrive later with those roles or permissions match it.
    ResolvedTarget resolve_standing(const TargetView& t);

    // Lists a stream under its user (nothing for anonymous streams).
    void add(Member& m);
    void remove(Member& m);
    // The streams of `user` on this shard, or nullptr.
    const std::vector<Member*>* streams_of(std::string_view user) const;
    size_t users() const { return _users.size(); }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    NameInterner _roles, _permissions;
    std::unordered_map<std::string, std::vector<Member*>, Hash, std::equal_to<>> _users;
};

}  // namespace ringcast
