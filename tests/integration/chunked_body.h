#pragma once
// A response body in HTTP/1.1 chunked framing (RFC 9112 7.1), decoded as it
// arrives: what a stream looks like through a proxy such as nginx, which frames
// the open-ended body ringcastd sends with chunks. Extensions and trailers are
// skipped; anything else that breaks the framing stops the decoder.
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::itest {

class ChunkedDecoder {
public:
    // Appends the payload carried by `in` to *out. False once the framing is
    // broken (and for every later call).
    bool feed(std::string_view in, std::string* out) {
        for (size_t i = 0; i < in.size() && _state != State::broken;) {
            const char c = in[i];
            switch (_state) {
                case State::size:
                    if (int v = hex(c); v >= 0 && _size < (uint64_t(1) << 40)) {
                        _size = _size * 16 + uint64_t(v);
                        _digits = true;
                    } else if (_digits && (c == ';' || c == ' ' || c == '\t')) {
                        _state = State::extension;
                    } else if (_digits && c == '\r') {
                        _state = State::size_lf;
                    } else {
                        _state = State::broken;
                    }
                    ++i;
                    break;
                case State::extension:
                    if (c == '\r') _state = State::size_lf;
                    ++i;
                    break;
                case State::size_lf:
                    _state = c != '\n' ? State::broken : _size ? State::data : State::trailer;
                    ++i;
                    break;
                case State::data: {
                    const size_t n = size_t(std::min<uint64_t>(_size, in.size() - i));
                    out->append(in.substr(i, n));
                    _size -= n;
                    i += n;
                    if (_size == 0) _state = State::data_cr;
                    break;
                }
                case State::data_cr:
                    _state = c == '\r' ? State::data_lf : State::broken;
                    ++i;
                    break;
                case State::data_lf:
                    _state = c == '\n' ? State::size : State::broken;
                    _digits = false;
                    ++i;
                    break;
                case State::trailer:  // the last chunk was read; the rest is ignored
                    i = in.size();
                    break;
                case State::broken: break;
            }
        }
        return _state != State::broken;
    }

    // The last (empty) chunk has been read: the body is complete.
    bool done() const { return _state == State::trailer; }

private:
    static int hex(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    enum class State { size, extension, size_lf, data, data_cr, data_lf, trailer, broken };
    State _state = State::size;
    uint64_t _size = 0;
    bool _digits = false;
};

}  // namespace ringcast::itest
