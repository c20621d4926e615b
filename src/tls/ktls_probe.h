#pragma once
// Whether the kernel offers TLS offload (the "tls" upper-layer protocol of
// TCP, CONFIG_TLS), asked once at start: a TCP socket that is not connected
// takes setsockopt(TCP_ULP, "tls") only to say whether the module exists
// (ENOENT: no; ENOTCONN: yes, it just needs an established connection).
//
// ringcast encrypts in user space either way (tls/tls_stream.h): the kTLS path
// needs OpenSSL to run the handshake on the socket itself (a socket BIO), which
// the io_uring transport does not give it. The probe is reported in the log,
// /api/stats and /metrics so that an operator knows what the kernel could do.
#include <string>

namespace ringcast {

struct KtlsProbe {
    bool kernel_tls = false;  // the "tls" ULP is there
    std::string detail;       // "kernel has no tls ULP (ENOENT)", ...
};

KtlsProbe probe_ktls();
// The first probe's answer, kept for the process (stats ask it often).
const KtlsProbe& kernel_tls();

// The encryption path TLS connections take: "userspace" (always, today).
inline constexpr const char* kTlsPath = "userspace";

}  // namespace ringcast
