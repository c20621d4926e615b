#include "pubsub/audience.h"

namespace ringcast {

namespace {

NameSet resolve_names(const StringList& names, const NameInterner& interner) {
    NameSet set;
    names.for_each([&](std::string_view n) {
        if (auto id = interner.find(n)) set.add(*id);
    });
    return set;
}

std::vector<std::string> names_of(const NameSet& set, const NameInterner& interner) {
    std::vector<std::string> out;
    set.for_each([&](uint32_t id) { out.push_back(interner.name(id)); });
    return out;
}

}  // namespace

void Audience::set_names(Identity& who, const std::vector<std::string>& roles,
                         const std::vector<std::string>& permissions) {
    for (const auto& r : roles)
        who.roles.add(_roles.intern(r));
    for (const auto& p : permissions)
        who.permissions.add(_permissions.intern(p));
}

std::vector<std::string> Audience::role_names(const Identity& who) const {
    return names_of(who.roles, _roles);
}

std::vector<std::string> Audience::permission_names(const Identity& who) const {
    return names_of(who.permissions, _permissions);
}

ResolvedTarget Audience::resolve(const TargetView& t) const {
    ResolvedTarget r;
    r.kind = t.kind;
    r.require_auth = t.require_auth;
    r.users = t.users;
    r.exclude = t.exclude;
    if (t.kind == Target::Kind::roles) r.roles = resolve_names(t.roles, _roles);
    if (t.kind == Target::Kind::permissions)
        r.permissions = resolve_names(t.permissions, _permissions);
    return r;
}

ResolvedTarget Audience::resolve_standing(const TargetView& t) {
    if (t.kind == Target::Kind::roles)
        t.roles.for_each([&](std::string_view n) { _roles.intern(n); });
    if (t.kind == Target::Kind::permissions)
        t.permissions.for_each([&](std::string_view n) { _permissions.intern(n); });
    return resolve(t);
}

void Audience::add(Member& m) {
    if (m.indexed || m.who->user.empty()) return;
    auto it = _users.find(std::string_view(m.who->user));
    if (it == _users.end()) it = _users.emplace(m.who->user, std::vector<Member*>{}).first;
    m.user_pos = uint32_t(it->second.size());
    it->second.push_back(&m);
    m.indexed = true;
}

void Audience::remove(Member& m) {
    if (!m.indexed) return;
    auto it = _users.find(std::string_view(m.who->user));
    m.indexed = false;
    if (it == _users.end()) return;
    std::vector<Member*>& list = it->second;
    Member* last = list.back();
    list[m.user_pos] = last;
    last->user_pos = m.user_pos;
    list.pop_back();
    if (list.empty()) _users.erase(it);
}

const std::vector<Member*>* Audience::streams_of(std::string_view user) const {
    auto it = _users.find(user);
    return it == _users.end() ? nullptr : &it->second;
}

}  // namespace ringcast
