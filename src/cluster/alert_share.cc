#include "cluster/alert_share.h"

#include <charconv>

#include <spdlog/spdlog.h>

namespace ringcast {

namespace {

bool parse_u64(std::string_view s, uint64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

AlertShareReply unanswered(const RespValue& v) {
    AlertShareReply r;
    r.error = v.is_error() ? std::string(v.text()) : "an unexpected reply: " + v.describe();
    return r;
}

}  // namespace

AlertShareReply read_alert_share_reply(const RespValue& v, bool script) {
    if (v.is_error() || !v.is_array()) return unanswered(v);
    const auto& e = v.elements;
    AlertShareReply r;
    if (script) {
        // {1, version} or {0, version, set or nil}
        if (e.size() < 2 || e.size() > 3 || e[0].type != RespValue::Type::integer ||
            e[1].type != RespValue::Type::integer || e[1].integer < 0 ||
            (e[0].integer == 1) != (e.size() == 2) ||
            (e.size() == 3 && e[2].type != RespValue::Type::bulk &&
             e[2].type != RespValue::Type::nil))
            return unanswered(v);
        r.won = e[0].integer == 1;
        r.version = uint64_t(e[1].integer);
        if (e.size() == 3 && e[2].type == RespValue::Type::bulk) {
            r.held = true;
            r.text = e[2].str;
        }
    } else {
        // MGET version value: {version or nil, set or nil}
        if (e.size() != 2 ||
            (e[0].type != RespValue::Type::bulk && e[0].type != RespValue::Type::nil) ||
            (e[1].type != RespValue::Type::bulk && e[1].type != RespValue::Type::nil))
            return unanswered(v);
        if (e[0].type == RespValue::Type::bulk && !parse_u64(e[0].str, &r.version))
            return unanswered(v);
        if (e[1].type == RespValue::Type::bulk) {
            r.held = true;
            r.text = e[1].str;
        }
    }
    r.answered = true;
    return r;
}

AlertShare::AlertShare(Reactor& reactor, BlockingWorker* worker, RedisLink& commands,
                       RedisLinkOptions subscriber, std::string_view prefix)
    : _cmd(commands)
    , _sub(reactor, worker, RedisRole::subscriber, std::move(subscriber))
    , _keys(prefix) {}

void AlertShare::start() {
    _sub.on_state([this](bool up, std::string_view why) {
        if (!up)
            spdlog::warn(
                "alerts: the subscription to Redis is lost ({}); the set is read again "
                "once it is back",
                why);
        if (_on_listening) _on_listening(up);
    });
    _sub.on_message([this](std::string_view, std::string_view payload, std::string_view) {
        on_message(payload);
    });
    _sub.subscribe(_keys.changed);
    _sub.start();
}

void AlertShare::stop() {
    _sub.stop();
}

void AlertShare::on_message(std::string_view payload) {
    uint64_t version = 0;
    if (payload.starts_with("v ") && parse_u64(payload.substr(2), &version)) {
        if (_on_changed) _on_changed(version);
    } else if (payload.starts_with("r ")) {
        if (_on_refresh) _on_refresh(payload.substr(2));
    } else {
        spdlog::warn("alerts: a message on {} that is not a change nor a refresh: {:.80}",
                     _keys.changed, payload);
    }
}

void AlertShare::read(Done done) {
    _cmd.command({"MGET", _keys.version, _keys.value},
                 [done = std::move(done)](const RespValue& v) {
                     AlertShareReply r = read_alert_share_reply(v, false);
                     done(r);
                 });
}

void AlertShare::commit(uint64_t expected, std::string_view text, Done done) {
    const std::string from = std::to_string(expected);
    _cmd.command(
        {"EVAL", kAlertCommitScript, "2", _keys.version, _keys.value, from, text, _keys.changed},
        [done = std::move(done)](const RespValue& v) {
            AlertShareReply r = read_alert_share_reply(v, true);
            done(r);
        });
}

void AlertShare::seed(uint64_t version, std::string_view text, uint64_t max_id, Done done) {
    const std::string v = std::to_string(version);
    const std::string id = std::to_string(max_id);
    _cmd.command({"EVAL", kAlertSeedScript, "3", _keys.version, _keys.value, _keys.next_id, v, text,
                  id, _keys.changed},
                 [done = std::move(done)](const RespValue& reply) {
                     AlertShareReply r = read_alert_share_reply(reply, true);
                     done(r);
                 });
}

void AlertShare::next_id(std::function<void(uint64_t, std::string_view)> done) {
    _cmd.command({"INCR", _keys.next_id}, [done = std::move(done)](const RespValue& v) {
        if (v.type == RespValue::Type::integer && v.integer > 0)
            done(uint64_t(v.integer), {});
        else
            done(0, v.is_error() ? std::string(v.text()) : "an unexpected reply: " + v.describe());
    });
}

void AlertShare::refresh(std::string_view reason, std::function<void(std::string_view)> done) {
    const std::string payload = "r " + std::string(reason);
    _cmd.command({"PUBLISH", _keys.changed, payload}, [done = std::move(done)](const RespValue& v) {
        if (v.type == RespValue::Type::integer)
            done({});
        else
            done(v.is_error() ? std::string(v.text()) : "an unexpected reply: " + v.describe());
    });
}

}  // namespace ringcast
