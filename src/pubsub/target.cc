#include "pubsub/target.h"

namespace ringcast {

const Identity kAnonymous{};

namespace {

size_t list_size(const std::vector<std::string>& v) {
    size_t n = sizeof(uint32_t);
    for (const auto& s : v)
        n += sizeof(uint16_t) + s.size();
    return n;
}

char* write_list(char* p, const std::vector<std::string>& v) {
    uint32_t count = uint32_t(v.size());
    std::memcpy(p, &count, sizeof count);
    p += sizeof count;
    for (const auto& s : v) {
        uint16_t len = uint16_t(s.size());  // names are validated to <= 256 bytes
        std::memcpy(p, &len, sizeof len);
        std::memcpy(p + sizeof len, s.data(), s.size());
        p += sizeof len + s.size();
    }
    return p;
}

StringList read_list(const char*& p) {
    uint32_t count;
    std::memcpy(&count, p, sizeof count);
    StringList list(p + sizeof count, count);
    p += sizeof count + list.encoded_size();
    return list;
}

}  // namespace

bool StringList::contains(std::string_view s) const {
    bool found = false;
    for_each([&](std::string_view item) { found |= item == s; });
    return found;
}

size_t StringList::encoded_size() const {
    size_t n = 0;
    for_each([&](std::string_view item) { n += sizeof(uint16_t) + item.size(); });
    return n;
}

size_t target_blob_size(const Target& t) {
    return list_size(t.users) + list_size(t.roles) + list_size(t.permissions) +
           list_size(t.exclude);
}

void write_target_blob(char* out, const Target& t) {
    out = write_list(out, t.users);
    out = write_list(out, t.roles);
    out = write_list(out, t.permissions);
    write_list(out, t.exclude);
}

TargetView read_target_blob(Target::Kind kind, bool require_auth, const char* blob) {
    TargetView v;
    v.kind = kind;
    v.require_auth = require_auth;
    if (!blob) return v;
    const char* p = blob;
    v.users = read_list(p);
    v.roles = read_list(p);
    v.permissions = read_list(p);
    v.exclude = read_list(p);
    return v;
}

bool matches(const ResolvedTarget& t, const Identity& who) {
    if (t.require_auth && !who.authenticated) return false;
    if (!who.user.empty() && !t.exclude.empty() && t.exclude.contains(who.user)) return false;
    switch (t.kind) {
        case Target::Kind::all: return true;
        case Target::Kind::users: return !who.user.empty() && t.users.contains(who.user);
        case Target::Kind::roles: return who.roles.intersects(t.roles);
        case Target::Kind::permissions: return who.permissions.intersects(t.permissions);
        case Target::Kind::authenticated: return who.authenticated;
        case Target::Kind::subscribers: return who.subscriber;
    }
    return false;
}

}  // namespace ringcast
