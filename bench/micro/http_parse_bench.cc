// Parsing what arrives: an EventSource request (once per connection) and a
// publish (once per event: HTTP, then JSON validation).
#include <string>

#include <benchmark/benchmark.h>

#include "http/request_parser.h"
#include "pubsub/message_json.h"

namespace {

using namespace ringcast;

const std::string kStreamRequest =
    "GET /api/sse/stream?channels=alerts,notifications HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Accept: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef\r\n"
    "\r\n";

void BM_ParseStreamRequest(benchmark::State& st) {
    HttpLimits limits;
    for (auto _ : st) {
        RequestParser p(limits);
        size_t consumed = 0;
        auto r = p.feed(kStreamRequest.data(), kStreamRequest.size(), &consumed);
        benchmark::DoNotOptimize(r);
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kStreamRequest.size()));
}
BENCHMARK(BM_ParseStreamRequest);

void BM_ParsePublish(benchmark::State& st) {
    std::string body = "{\"channel\":\"bench\",\"event\":\"tick\",\"data\":{\"seq\":1,\"pad\":\"" +
                       std::string(230, 'x') + "\"}}";
    std::string req =
        "POST /api/publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    HttpLimits limits;
    simdjson::dom::parser json;
    Message pr;
    std::string error;
    for (auto _ : st) {
        RequestParser p(limits);
        size_t consumed = 0;
        p.feed(req.data(), req.size(), &consumed);
        bool ok = parse_message_text(json, p.request().body, &pr, &error);
        benchmark::DoNotOptimize(ok);
    }
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(req.size()));
}
BENCHMARK(BM_ParsePublish);

}  // namespace
