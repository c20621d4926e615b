// The socket protocol's read path per request: split a pipelined read into lines
// (LineReader), parse each with simdjson, validate the message (parse_message,
// as PublishServer::handle_line does) and serialize the event once. Compare with
// BM_ParsePublish (the HTTP request for the same message).
#include <string>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "publish/line_reader.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"

namespace ringcast {
namespace {

void BM_SocketPublishLine(benchmark::State& st) {
    const size_t payload = size_t(st.range(0));
    // 256 lines as one read delivers them, each a publish with a `payload`-byte data value.
    std::string read;
    for (int i = 0; i < 256; ++i)
        read += "{\"op\":\"publish\",\"req\":" + std::to_string(i) +
                ",\"channel\":\"bench\",\"event\":\"tick\",\"data\":\"" +
                std::string(payload - 2, 'x') + "\"}\n";
    simdjson::dom::parser json;
    LineReader reader(1 << 20);
    uint64_t events = 0;
    for (auto _ : st) {
        reader.feed(read.data(), read.size(), [&](std::string_view line, uint64_t) {
            simdjson::dom::element root;
            simdjson::dom::object obj;
            if (json.parse(line.data(), line.size(), true).get(root) || root.get_object().get(obj))
                return true;
            Message m;
            std::string error;
            if (!parse_message(obj, &m, &error, {"op", "req"})) return true;
            Event* e = Event::build(m, 1);
            benchmark::DoNotOptimize(e);
            e->release();
            ++events;
            return true;
        });
    }
    st.SetItemsProcessed(int64_t(events));
    st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(read.size()));
}
BENCHMARK(BM_SocketPublishLine)->Arg(64)->Arg(256);

}  // namespace
}  // namespace ringcast
