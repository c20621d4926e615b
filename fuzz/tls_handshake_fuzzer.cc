// The server side of TLS (src/tls/tls_stream) as an HTTPS listener meets it:
// the input is what a client sends, fed to a fresh TlsStream in reads cut as
// TCP might cut them, each read handed over as the transport would, its output
// taken whole or in short writes as a socket might take it.
//
// Properties: the stream never delivers plaintext before its handshake is done,
// nor anything after it failed or saw close_notify; a failure has a reason; the
// ciphertext it writes is well-framed TLS records (a 5-byte header whose length
// the bytes hold) and drains completely through next_output()/sent().
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "../tests/common/test_pki.h"
#include "fuzz_support.h"
#include "tls/tls_stream.h"

namespace ringcast::fuzz {
namespace {

// A context with a test certificate, made once (files in a temporary folder).
const std::shared_ptr<const TlsContext>& context() {
    static const std::shared_ptr<const TlsContext> ctx = [] {
        char tmpl[] = "/tmp/ringcast-tls-fuzz-XXXXXX";
        const std::string dir = mkdtemp(tmpl);
        test::TestCa ca;
        test::IssuedCert leaf = ca.issue(1);
        test::write_text(dir + "/cert.pem", leaf.cert_pem);
        test::write_text(dir + "/key.pem", leaf.key_pem);
        TlsContextOptions o;
        o.certificate = dir + "/cert.pem";
        o.key = dir + "/key.pem";
        o.min_version = "1.2";
        o.ciphers = kIntermediateCiphers;
        o.ciphersuites = kIntermediateCiphersuites;
        std::string error;
        auto made = TlsContext::create(o, std::make_shared<TicketKeys>(3'600'000), &error);
        std::filesystem::remove_all(dir);
        if (!made) fail(error.c_str());
        return made;
    }();
    return ctx;
}

struct Sink final : PlainSink {
    const TlsStream* stream = nullptr;
    size_t got = 0;
    bool on_plain(const char*, size_t n) override {
        check(stream->established(), "plaintext before the handshake was done");
        got += n;
        return true;
    }
};

// Checks the framing of one run of ciphertext as it leaves.
class RecordChecker {
public:
    void take(std::span<const char> bytes) {
        for (char c : bytes) {
            if (_header_got < 5) {
                _header[_header_got++] = uint8_t(c);
                if (_header_got == 5) {
                    // (An alert answering a ClientHello of a bad version carries
                    // that version: OpenSSL echoes what the client claimed.)
                    const bool version_ok = _header[1] == 3 || _header[0] == 21;
                    if (!(_header[0] >= 20 && _header[0] <= 23 && version_ok)) {
                        std::fprintf(stderr, "record header %02x %02x %02x %02x %02x\n", _header[0],
                                     _header[1], _header[2], _header[3], _header[4]);
                        fail("record of an unknown type or version");
                    }
                    _body_left = size_t(_header[3]) << 8 | _header[4];
                    check(_body_left <= 16384 + 2048, "record longer than TLS allows");
                    if (_body_left == 0) _header_got = 0;
                }
            } else if (--_body_left == 0) {
                _header_got = 0;
            }
        }
    }

private:
    uint8_t _header[5] = {};
    size_t _header_got = 0;
    size_t _body_left = 0;
};

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::unique_ptr<TlsStream> s = TlsStream::accept(context());
    check(s != nullptr, "no stream");
    Sink sink;
    sink.stream = s.get();
    RecordChecker records;
    Chunker cuts(input);
    char scratch[16384];
    bool over = false;
    for (size_t at = 0; at < input.size() && !over;) {
        const size_t n = cuts.next(input.size() - at);
        const size_t before = sink.got;
        TlsStream::Input r = s->feed(input.data() + at, n, scratch, sink);
        at += n;
        if (r == TlsStream::Input::failed) {
            check(!s->reason().empty(), "a failure without a reason");
            check(sink.got == before || s->established(), "plaintext from a failed handshake");
            over = true;
        } else if (r == TlsStream::Input::closed) {
            over = true;
        }
        // The socket takes the output whole, or in pieces.
        while (s->has_output()) {
            std::span<const char> out = s->next_output();
            check(!out.empty(), "has_output() with nothing to send");
            const size_t took = cuts.one_in(3) ? cuts.next(out.size()) : out.size();
            records.take(out.first(took));
            s->sent(took);
        }
    }
    check(s->output_bytes() == 0, "ciphertext left after draining");
    return 0;
}
