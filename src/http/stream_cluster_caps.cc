// SseStreams in a cluster: a user's cap on open streams counted across the
// nodes (cluster/user_caps.h; docs/scaling.md, "Per-user caps"). The node's
// own limits are asked first (ops/limiter.h, the same as on one node); when
// they grant, the cluster is asked, and its refusal is the one-node refusal:
// 429 rate_limited, reason user_connections. Without an answer from Redis the
// node's own count decides (the fallback the user caps log).
#include "http/http_server.h"
#include "http/sse_streams.h"

namespace ringcast {

namespace {

constexpr std::string_view kClusterHold = "cluster-user:";
// What a refusal's Retry-After says: a stream must close somewhere (as
// ops/limiter.cc says for open counts on one node).
constexpr uint64_t kOpenRetryMs = 5000;

}  // namespace

std::string SseStreams::cluster_hold(const std::string& user) {
    std::string key(kClusterHold);
    key += user;
    return key;
}

bool SseStreams::release_cluster_hold(const std::string& key) {
    if (!key.starts_with(kClusterHold)) return false;
    if (_user_caps) _user_caps->release(key.substr(kClusterHold.size()));
    return true;
}

bool SseStreams::ask_cluster_cap(ConnectionHandle h, PendingOpen& p,
                                 std::vector<LimitVerdict>& verdicts) {
    if (!_user_caps || p.cluster_asked || !p.admission.claims) return false;
    size_t user_ask = p.asks.size();
    for (size_t i = 0; i < p.asks.size(); ++i)
        if (p.asks[i].key.starts_with("user:")) user_ask = i;
    if (user_ask == p.asks.size()) return false;
    p.cluster_asked = true;
    const std::string user = p.admission.claims->user;
    const uint32_t cap = p.asks[user_ask].rule.max_open;
    _user_caps->acquire(user, cap,
                        [this, h, user_ask, p = std::move(p), verdicts = std::move(verdicts)](
                            UserCaps::Verdict v, uint64_t) mutable {
                            if (v == UserCaps::Verdict::refused) {
                                // The node's own count was granted: given back, and the
                                // refusal is the user's, as on one node.
                                _limiter.release(p.asks[user_ask].key);
                                verdicts[user_ask].granted = false;
                                verdicts[user_ask].retry_after_ms = kOpenRetryMs;
                            } else {
                                p.cluster_held = true;  // granted, or unknown: held until release
                            }
                            on_limit_answer(h, p, verdicts);
                        });
    return true;
}

void SseStreams::recount_cluster_holds(HttpConnection& c, const std::vector<std::string>& keys) {
    for (const std::string& key : keys) {
        if (!key.starts_with(kClusterHold) || !_user_caps) continue;
        const std::string user = key.substr(kClusterHold.size());
        // Cap 0: counted whatever the total (the stream is open already).
        _user_caps->acquire(user, 0,
                            [this, h = Transport::handle(c), user](UserCaps::Verdict, uint64_t) {
                                auto* now = static_cast<HttpConnection*>(_transport.find(h));
                                if (!now) {  // gone meanwhile: the count goes back
                                    _user_caps->release(user);
                                    return;
                                }
                                if (!now->_extras) now->_extras = std::make_unique<StreamExtras>();
                                now->_extras->limit_holds.push_back(cluster_hold(user));
                            });
    }
}

}  // namespace ringcast
