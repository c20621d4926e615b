#include "tls/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>

namespace ringcast {

namespace {

// TLS records carry at most 16 KiB of plaintext.
constexpr size_t kMaxRecordPlain = 16384;

// The BIO between OpenSSL and a TlsStream: reads come from the receive being
// fed, writes append to the stream's output. Neither ever blocks: an empty
// input says "retry", which OpenSSL reports as SSL_ERROR_WANT_READ.
int bio_write(BIO* b, const char* data, size_t len, size_t* written) {
    static_cast<TlsStream*>(BIO_get_data(b))->append_output(data, len);
    *written = len;
    return 1;
}

int bio_read(BIO* b, char* out, size_t max, size_t* got) {
    BIO_clear_retry_flags(b);
    *got = static_cast<TlsStream*>(BIO_get_data(b))->read_input(out, max);
    if (*got == 0) {
        BIO_set_retry_read(b);
        return 0;
    }
    return 1;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
    // A flush after each handshake flight: the bytes are in the output already.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

// Made once per process (OpenSSL's BIO_METHOD is immutable once set up).
BIO_METHOD* stream_bio_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringcast stream");
        BIO_meth_set_write_ex(m, bio_write);
        BIO_meth_set_read_ex(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

}  // namespace

std::unique_ptr<TlsStream> TlsStream::accept(std::shared_ptr<const TlsContext> ctx,
                                             CipherBuffers* buffers) {
    SSL* ssl = SSL_new(ctx->ctx());
    if (!ssl) return nullptr;
    BIO* bio = BIO_new(stream_bio_method());
    if (!bio) {
        SSL_free(ssl);
        return nullptr;
    }
    std::unique_ptr<TlsStream> s(new TlsStream(std::move(ctx), ssl, buffers));
    BIO_set_data(bio, s.get());
    SSL_set_bio(ssl, bio, bio);  // one BIO both ways; the SSL owns it
    if (s->_ctx->ktls() || s->_ctx->seal()) {
        s->_ktls = std::make_unique<KtlsCapture>();
        s->_ktls->attach(ssl);
    }
    SSL_set_accept_state(ssl);
    return s;
}

TlsStream::~TlsStream() {
    if (_ktls) _ktls->detach(_ssl);
    SSL_free(_ssl);
}

size_t TlsStream::read_input(char* out, size_t max) {
    size_t n = std::min(max, _in_len);
    std::memcpy(out, _in, n);
    _in += n;
    _in_len -= n;
    return n;
}

std::string_view TlsStream::alpn() const {
    const unsigned char* p = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(_ssl, &p, &len);
    return {reinterpret_cast<const char*>(p), len};
}

TlsStream::Input TlsStream::fail(int ssl_error) {
    if (ssl_error == SSL_ERROR_SSL) {
        _reason = openssl_errors("protocol error");
    } else {
        _reason = "TLS error " + std::to_string(ssl_error) + ": " + openssl_errors("none queued");
    }
    _in_len = 0;
    return Input::failed;
}

TlsStream::Input TlsStream::feed(const char* data, size_t len, std::span<char> scratch,
                                 PlainSink& sink) {
    if (failed()) return Input::failed;  // OpenSSL's state is unusable after an error
    ERR_clear_error();
    _in = data;
    _in_len = len;
    if (!_established) {
        const int r = SSL_do_handshake(_ssl);
        if (r != 1) {
            const int e = SSL_get_error(_ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Input::more;
            return fail(e);
        }
        _established = true;
    }
    // Everything decryptable now, including what came in the same receive as
    // the handshake's end (a client's first request often does).
    for (;;) {
        size_t got = 0;
        if (SSL_read_ex(_ssl, scratch.data(), scratch.size(), &got) == 1) {
            if (!sink.on_plain(scratch.data(), got)) {
                _in_len = 0;
                return Input::more;
            }
            continue;
        }
        const int e = SSL_get_error(_ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Input::more;
        if (e == SSL_ERROR_ZERO_RETURN) {
            _in_len = 0;
            return Input::closed;
        }
        return fail(e);
    }
}

bool TlsStream::encrypt(const iovec* iov, unsigned n, std::span<char> scratch) {
    if (_sealer) return seal_records(iov, n);
    // No ERR_clear_error() first (it was a tenth of a small record's cost):
    // success is read from SSL_write_ex's result alone, and a failure, which
    // ends the connection, reads the queue it finds (openssl_errors drains it).
    const size_t room = std::min(scratch.size(), kMaxRecordPlain);
    size_t used = 0;
    auto write = [&](const void* p, size_t len) {
        size_t done = 0;
        if (SSL_write_ex(_ssl, p, len, &done) == 1 && done == len) return true;
        _reason = openssl_errors("write failed");
        return false;
    };
    for (unsigned i = 0; i < n; ++i) {
        const char* p = static_cast<const char*>(iov[i].iov_base);
        size_t left = iov[i].iov_len;
        // A piece of a whole record or more goes straight in (no copy), once
        // what was coalesced before it is out.
        if (left >= room) {
            if (used && !write(scratch.data(), used)) return false;
            used = 0;
            if (!write(p, left)) return false;
            continue;
        }
        while (left > 0) {
            const size_t take = std::min(left, room - used);
            std::memcpy(scratch.data() + used, p, take);
            used += take;
            p += take;
            left -= take;
            if (used == room) {
                if (!write(scratch.data(), used)) return false;
                used = 0;
            }
        }
    }
    return used == 0 || write(scratch.data(), used);
}

bool TlsStream::export_ktls_tx(KtlsTx* out, std::string* why_not) {
    if (!_ktls) {
        *why_not = "not captured";
        return false;
    }
    bool ok = false;
    if (!_established || has_output()) {
        *why_not = "ciphertext still to send";
    } else if (key_update_pending()) {  // only OpenSSL's next write sends it
        *why_not = "a KeyUpdate to send";
    } else {
        ok = _ktls->export_tx(_ssl, out, why_not);
    }
    _ktls->detach(_ssl);
    _ktls.reset();
    return ok;
}

bool TlsStream::start_sealing(std::string* why_not) {
    if (!_ktls) {
        *why_not = "not captured";
        return false;
    }
    KtlsTx tx;
    bool ok = false;
    if (!_established) {
        *why_not = "handshake not done";
    } else {
        ok = _ktls->export_tx(_ssl, &tx, why_not);
    }
    _ktls->detach(_ssl);
    _ktls.reset();
    return ok && start_sealing(tx, why_not);
}

bool TlsStream::start_sealing(const KtlsTx& tx, std::string* why_not) {
    if (!_ctx->seal()) {
        *why_not = "tls.seal = \"openssl\"";
        return false;
    }
    if (!_established || _notified || failed() || _sealer) {
        *why_not = "not an open connection";
        return false;
    }
    if (key_update_pending()) {  // only OpenSSL's next write sends it
        *why_not = "a KeyUpdate to send";
        return false;
    }
    _sealer = RecordSealer::create(tx, why_not);
    return _sealer != nullptr;
}

bool TlsStream::seal_record(const char* data, size_t len, uint8_t type) {
    if (_pending.capacity() == 0 && _buffers) _pending = _buffers->take();
    const size_t at = _pending.size();
    _pending.resize(at + RecordSealer::kHeader);
    _pending.insert(_pending.end(), data, data + len);
    _pending.resize(_pending.size() + RecordSealer::kTrailer);
    if (_sealer->seal(_pending.data() + at, len, type)) return true;
    _pending.resize(at);  // no half record goes out
    return false;
}

bool TlsStream::seal_records(const iovec* iov, unsigned n) {
    if (failed()) return false;  // as SSL_write after a fatal error: nothing more goes out
    // Pieces coalesced into records of up to 16 KiB, as SSL_write's are (and
    // never more records than it makes: a big piece leaves no short record
    // behind), with one copy: each record's plaintext is gathered straight
    // into the output and sealed there, in place.
    size_t total = 0;
    for (unsigned i = 0; i < n; ++i)
        total += iov[i].iov_len;
    if (total == 0) return true;
    if (_pending.capacity() == 0 && _buffers) _pending = _buffers->take();
    const size_t records = (total + RecordSealer::kMaxPlain - 1) / RecordSealer::kMaxPlain;
    _pending.reserve(_pending.size() + total +
                     records * (RecordSealer::kHeader + RecordSealer::kTrailer));
    size_t at = 0, used = 0;  // the record being filled, and its plaintext so far
    auto finish = [&] {
        _pending.resize(_pending.size() + RecordSealer::kTrailer);
        if (_sealer->seal(_pending.data() + at, used, RecordSealer::kApplicationData)) {
            used = 0;
            return true;
        }
        _pending.resize(at);
        _reason = openssl_errors("record seal failed");
        return false;
    };
    for (unsigned i = 0; i < n; ++i) {
        const char* p = static_cast<const char*>(iov[i].iov_base);
        size_t left = iov[i].iov_len;
        while (left > 0) {
            if (used == 0) {
                at = _pending.size();
                _pending.resize(at + RecordSealer::kHeader);
            }
            const size_t take = std::min(left, RecordSealer::kMaxPlain - used);
            _pending.insert(_pending.end(), p, p + take);
            used += take;
            p += take;
            left -= take;
            if (used == RecordSealer::kMaxPlain && !finish()) return false;
        }
    }
    return used == 0 || finish();
}

void TlsStream::close_notify() {
    if (_notified || !_established) return;
    _notified = true;
    if (_sealer) {
        // An alert record, level warning, close_notify; OpenSSL's state as
        // after its own SSL_shutdown (what it reads next is not data). None
        // after a fatal error, as SSL_shutdown would send none.
        static const char kCloseNotify[2] = {1, 0};
        if (!failed() && !seal_record(kCloseNotify, sizeof kCloseNotify, RecordSealer::kAlert))
            _reason = openssl_errors("close_notify: seal failed");
        SSL_set_shutdown(_ssl, SSL_get_shutdown(_ssl) | SSL_SENT_SHUTDOWN);
        return;
    }
    ERR_clear_error();
    SSL_shutdown(_ssl);  // 0: sent, the peer's not yet seen; nothing waits for it
    ERR_clear_error();
}

std::span<const char> TlsStream::next_output() {
    if (_sent == _sending.size() && !_pending.empty()) {
        _sending.swap(_pending);
        _pending.clear();
        _sent = 0;
    }
    return {_sending.data() + _sent, _sending.size() - _sent};
}

bool TlsStream::sent(size_t n) {
    _sent += n;
    if (_sent < _sending.size()) return false;
    // Whole: give the memory back (an idle stream holds no ciphertext buffer).
    release(_sending);
    _sent = 0;
    if (_pending.empty()) release(_pending);
    return true;
}

void TlsStream::release(std::vector<char>& b) {
    if (_buffers) {
        _buffers->give(std::move(b));
        b = {};
    } else {
        std::vector<char>().swap(b);
    }
}

}  // namespace ringcast
