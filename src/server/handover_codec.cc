#include "server/handover_codec.h"

#include <cstring>

namespace ringcast {

namespace {

class Writer {
public:
    explicit Writer(std::string& out) : _out(out) {}
    void u64(uint64_t v) { _out.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void str(std::string_view s) {
        u64(s.size());
        _out.append(s);
    }
    void strs(const std::vector<std::string>& v) {
        u64(v.size());
        for (const std::string& s : v)
            str(s);
    }

private:
    std::string& _out;
};

class Reader {
public:
    explicit Reader(std::string_view in) : _in(in) {}
    bool u64(uint64_t* v) {
        if (_in.size() < sizeof *v) return false;
        std::memcpy(v, _in.data(), sizeof *v);
        _in.remove_prefix(sizeof *v);
        return true;
    }
    bool i64(int64_t* v) {
        uint64_t u;
        if (!u64(&u)) return false;
        *v = int64_t(u);
        return true;
    }
    bool flag(bool* v) {  // exactly 0 or 1, as written
        uint64_t u;
        if (!u64(&u) || u > 1) return false;
        *v = u != 0;
        return true;
    }
    bool str(std::string* s) {
        uint64_t n;
        if (!u64(&n) || n > _in.size()) return false;
        s->assign(_in.data(), n);
        _in.remove_prefix(n);
        return true;
    }
    bool strs(std::vector<std::string>* v) {
        uint64_t n;
        if (!u64(&n) || n > _in.size()) return false;  // each takes 8 bytes at least
        v->resize(n);
        for (std::string& s : *v)
            if (!str(&s)) return false;
        return true;
    }
    bool done() const { return _in.empty(); }

private:
    std::string_view _in;
};

}  // namespace

std::string encode_listeners(const HandedListeners& l) {
    std::string out;
    Writer w(out);
    w.u64(l.http);
    w.u64(l.has_unix);
    w.u64(l.has_metrics);
    // Only when there are some: without HTTPS the body is what daemons before
    // [tls] send and expect, so an upgrade across that version still works.
    if (l.https) w.u64(l.https);
    return out;
}

bool decode_listeners(std::string_view body, HandedListeners* out) {
    Reader r(body);
    uint64_t http, https = 0;
    if (!r.u64(&http) || !r.flag(&out->has_unix) || !r.flag(&out->has_metrics) || http > 1024)
        return false;
    // The HTTPS count is there only when not 0 (the format stays exact).
    if (!r.done() && (!r.u64(&https) || https == 0 || https > 1024)) return false;
    if (!r.done()) return false;
    out->http = uint32_t(http);
    out->https = uint32_t(https);
    return true;
}

std::string encode_streams(std::span<const HandedStream> streams) {
    std::string out;
    Writer w(out);
    w.u64(streams.size());
    for (const HandedStream& s : streams) {
        w.str(s.endpoint);
        w.strs(s.channels);
        w.str(s.user);
        w.u64(s.authenticated);
        w.u64(s.subscriber);
        w.strs(s.roles);
        w.strs(s.permissions);
        w.u64(uint64_t(s.connected_at_ms));
        w.u64(uint64_t(s.ends_at_ms));
        w.u64(s.ends_with_token);
        w.str(s.client);
        w.strs(s.limit_holds);
    }
    return out;
}

bool decode_streams(std::string_view body, std::vector<HandedStream>* out) {
    Reader r(body);
    uint64_t n;
    if (!r.u64(&n) || n > body.size()) return false;
    for (uint64_t i = 0; i < n; ++i) {
        HandedStream s;
        if (!r.str(&s.endpoint) || !r.strs(&s.channels) || !r.str(&s.user) ||
            !r.flag(&s.authenticated) || !r.flag(&s.subscriber) || !r.strs(&s.roles) ||
            !r.strs(&s.permissions) || !r.i64(&s.connected_at_ms) || !r.i64(&s.ends_at_ms) ||
            !r.flag(&s.ends_with_token) || !r.str(&s.client) || !r.strs(&s.limit_holds))
            return false;
        out->push_back(std::move(s));
    }
    return r.done();
}

std::string encode_position(const HandedPosition& p) {
    std::string out;
    Writer w(out);
    w.str(p.epoch);
    w.u64(p.last_sequence);
    return out;
}

bool decode_position(std::string_view body, HandedPosition* out) {
    Reader r(body);
    return r.str(&out->epoch) && r.u64(&out->last_sequence) && r.done();
}

}  // namespace ringcast
