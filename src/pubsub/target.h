#pragma once
// Deciding, per recipient, whether a targeted event is meant for it.
//
// An event carries its Target encoded after its wire bytes (TargetView reads it
// without copying); a subscriber carries an Identity, built from its token's
// claims (anonymous without one: then every kind other than "all" passes it by).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "pubsub/message.h"
#include "pubsub/name_set.h"

namespace ringcast {

// Who is on a connection. Roles and permissions are ids of the shard's Audience
// interners (pubsub/audience.h), so an Identity is only meaningful on its shard.
struct Identity {
    std::string user;  // empty: anonymous
    bool authenticated = false;
    bool subscriber = false;
    NameSet roles;
    NameSet permissions;
};

// The identity of every connection that presented no credentials.
extern const Identity kAnonymous;

// A list of strings inside an event's target blob: u32 count, then per item a
// u16 length and the bytes.
class StringList {
public:
    StringList() = default;
    StringList(const char* p, uint32_t count) : _p(p), _count(count) {}
    uint32_t size() const { return _count; }
    bool empty() const { return _count == 0; }
    template <typename F>
    void for_each(F&& f) const {
        const char* p = _p;
        for (uint32_t i = 0; i < _count; ++i) {
            uint16_t len;
            std::memcpy(&len, p, sizeof len);
            f(std::string_view(p + sizeof len, len));
            p += sizeof len + len;
        }
    }
    bool contains(std::string_view s) const;
    // Bytes this list occupies in the blob.
    size_t encoded_size() const;

private:
    const char* _p = nullptr;
    uint32_t _count = 0;
};

class TargetView {
public:
    Target::Kind kind = Target::Kind::all;
    bool require_auth = false;
    StringList users, roles, permissions, exclude;

    bool everyone() const { return kind == Target::Kind::all && !require_auth && exclude.empty(); }
};

// Encoding used by Event: size first, then write into a buffer of that size.
size_t target_blob_size(const Target& t);
void write_target_blob(char* out, const Target& t);
TargetView read_target_blob(Target::Kind kind, bool require_auth, const char* blob);

// A target with its role and permission names resolved against one shard's
// interners, once per event per shard (Audience::resolve).
struct ResolvedTarget {
    Target::Kind kind = Target::Kind::all;
    bool require_auth = false;
    StringList users, exclude;
    NameSet roles, permissions;
};

// Whether `who` receives the event: the kind, then requireAuth, then the exclusions.
bool matches(const ResolvedTarget& t, const Identity& who);

}  // namespace ringcast
