// The Unix-socket publish protocol (docs/protocol.md) up to the point where a
// request is acted on: the bytes of a connection cut into lines by LineReader
// (src/publish/line_reader.h), each line read as JSON, its "req" and "op", and
// the request reader of that op, as PublishServer::handle_line dispatches them:
// parse_message (publish, and each message of a batch), parse_invalidation,
// read_token_request (then the token is signed and verified back), and
// read_directory_request, apply_log_level_request (the level it sets is then
// the daemon's, and put back). Reading stops now and then, as backpressure stops it,
// and resumes from what the reader kept, as PublishServer::flush does.
//
// Properties: the lines are the same whatever the reads and stops; a line is
// never longer than the limit, and an over-long one stops everything after it;
// a stream token signed for an accepted token request verifies, with the claims
// that were asked for.
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "auth/stream_token.h"
#include "auth/token_request.h"
#include "auth/token_verifier.h"
#include "core/log_setup.h"
#include "fuzz_support.h"
#include "ops/directory_json.h"
#include "ops/log_level_request.h"
#include "publish/line_reader.h"
#include "pubsub/message_json.h"

namespace ringcast::fuzz {
namespace {

// Small enough that inputs reach it; the daemon's is publish.max_line (1 MiB).
constexpr size_t kMaxLine = 512;
constexpr int64_t kNowMs = 1'800'000'000'000;
const std::string kStreamKey = "fuzz-stream-token-key-0123456789abcdef";

const StreamTokenSigner& signer() {
    static const StreamTokenSigner s(kStreamKey, AuthOptions{}, 3600, 86400);
    return s;
}

const TokenVerifier& verifier() {
    static const TokenVerifier v = [] {
        TokenVerifier t;
        std::string error;
        if (!t.with_stream_key(kStreamKey, &error)) fail("the stream key was refused");
        return t;
    }();
    return v;
}

void check_token(const StreamTokenRequest& t) {
    std::string error;
    std::optional<StreamToken> token = signer().sign(t, kNowMs, &error);
    if (!token) {
        check(!error.empty(), "a token was not signed, without a reason");
        return;
    }
    Verified v = verifier().verify(token->token, kNowMs / 1000);
    if (!v.ok) {
        std::fprintf(stderr, "%s: %s\n", v.error_code.c_str(), v.message.c_str());
        fail("a stream token ringcastd signed does not verify");
    }
    check(v.claims.stream_token, "a signed stream token is not marked as one");
    check(v.claims.user == t.user && v.claims.roles == t.roles &&
              v.claims.permissions == t.permissions && v.claims.subscriber == t.subscriber,
          "a stream token's claims are not those asked for");
}

// What handle_line does with one line before it acts on the request.
void dispatch(simdjson::dom::parser& json, std::string_view line) {
    if (line.empty()) return;
    simdjson::dom::element root;
    if (json.parse(line.data(), line.size(), true).get(root) != simdjson::SUCCESS) return;
    simdjson::dom::object obj;
    if (root.get_object().get(obj) != simdjson::SUCCESS) return;
    simdjson::dom::element req;
    if (obj["req"].get(req) == simdjson::SUCCESS) (void)simdjson::minify(req);
    std::string_view op;
    if (obj["op"].get_string().get(op) != simdjson::SUCCESS) return;
    std::string error;
    if (op == "publish") {
        simdjson::dom::element messages;
        simdjson::dom::array batch;
        if (obj["messages"].get(messages) == simdjson::SUCCESS) {
            if (messages.get_array().get(batch) != simdjson::SUCCESS) return;
            for (simdjson::dom::element item : batch) {
                simdjson::dom::object m_obj;
                Message m;
                if (item.get_object().get(m_obj) == simdjson::SUCCESS)
                    (void)parse_message(m_obj, &m, &error);
            }
        } else {
            Message m;
            (void)parse_message(obj, &m, &error, {"op", "req"});
        }
    } else if (op == "invalidate") {
        CacheInvalidation inv;
        (void)parse_invalidation(obj, &inv, &error, {"op", "req"});
    } else if (op == "token") {
        StreamTokenRequest t;
        if (read_token_request(obj, &t, &error, {"op", "req"})) check_token(t);
    } else if (op == "connection" || op == "user" || op == "disconnect") {
        DirectoryRequest q;
        unsigned shard = 0;
        DirectoryAsk ask = read_directory_request(op, obj, 0, 4, &q, &shard, &error);
        check(ask != DirectoryAsk::ok || shard < 4, "a directory query for a shard that is not");
    } else if (op == "log-level") {
        const std::string before(log_level());
        std::string members;
        if (apply_log_level_request(obj, &members, &error, {"op", "req"})) {
            simdjson::dom::parser answer;
            simdjson::dom::element doc;
            check(answer.parse("{" + members + "}").get(doc) == simdjson::SUCCESS,
                  "a log-level answer that is not JSON");
            std::string_view now;
            check(doc["level"].get_string().get(now) == simdjson::SUCCESS && now == log_level(),
                  "a log-level answer that does not say the level in force");
        } else {
            check(!error.empty() && log_level() == before,
                  "a refused log-level request changed the level or gave no reason");
        }
        std::string ignored;
        set_log_level(before, &ignored);
    }
}

struct Lines {
    std::string text;  // each line and its number
    bool overflowed = false;
};

// Reads `input` in the reads `chunker` cuts (all at once without one), then the
// peer's EOF. With a chunker, on_line stops the reader now and then, and the
// bytes it kept are fed again before anything new, as PublishServer::flush does
// after backpressure.
Lines read_lines(std::string_view input, Chunker* chunker, simdjson::dom::parser* json) {
    Lines out;
    LineReader reader(kMaxLine);
    bool stopped = false;
    auto on_line = [&](std::string_view line, uint64_t number) {
        check(line.size() <= kMaxLine, "a line longer than the limit");
        check(line.find('\n') == std::string_view::npos, "a line holds its own end");
        out.text += std::to_string(number) + ":" + std::string(line) + "\n";
        if (json) dispatch(*json, line);
        stopped = chunker && chunker->one_in(4);
        return !stopped;
    };
    bool ok = true;
    auto resume = [&] {
        while (ok && stopped) {  // each stop came after a line: this ends
            stopped = false;
            std::string kept = reader.take_carry();
            ok = reader.feed(kept.data(), kept.size(), on_line);
        }
    };
    size_t pos = 0;
    while (ok && pos < input.size()) {
        size_t len = chunker ? chunker->next(input.size() - pos) : input.size() - pos;
        ok = reader.feed(input.data() + pos, len, on_line);
        pos += len;
        resume();
    }
    while (ok) {  // the peer's EOF: the last line needs no end
        ok = reader.finish(on_line);
        if (!stopped) break;
        resume();
    }
    out.overflowed = !ok;
    check(ok != reader.overflowed(), "feed() and overflowed() disagree");
    return out;
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    static simdjson::dom::parser json;

    Lines whole = read_lines(input, nullptr, &json);
    Chunker chunker(input);
    Lines cut = read_lines(input, &chunker, nullptr);
    if (whole.text != cut.text || whole.overflowed != cut.overflowed) {
        std::fprintf(stderr, "at once (%s):\n%s\nin reads (%s):\n%s\n",
                     whole.overflowed ? "overflow" : "ok", whole.text.c_str(),
                     cut.overflowed ? "overflow" : "ok", cut.text.c_str());
        fail("the same bytes make different lines in different reads");
    }
    return 0;
}
