#pragma once
// Whether the kernel offers TLS offload (the "tls" upper-layer protocol of
// TCP, CONFIG_TLS), asked once at start: a TCP socket that is not connected
// takes setsockopt(TCP_ULP, "tls") only to say whether the module exists
// (ENOENT: no; ENOTCONN: yes, it just needs an established connection).
//
// Where it does and tls.ktls allows it, TLS 1.3 connections hand their sending
// side to the kernel after the handshake (tls/ktls_tx.h, net/transport_ktls.cc);
// otherwise ringcastd encrypts (tls/tls_stream.h). The probe is reported in the
// log, /api/stats and /metrics so that an operator knows which path runs.
#include <string>

namespace ringcast {

struct KtlsProbe {
    bool kernel_tls = false;  // the "tls" ULP is there
    std::string detail;       // "kernel has no tls ULP (ENOENT)", ...
};

KtlsProbe probe_ktls();
// The first probe's answer, kept for the process (stats ask it often).
const KtlsProbe& kernel_tls();

// The encryption path of new TLS connections: "ktls" when their contexts are
// made for it (TlsContext::ktls()), else "sealer" when ringcastd seals their
// records itself (TlsContext::seal(), tls/record_sealer.h), else "userspace"
// (OpenSSL's SSL_write). A connection that cannot take the first (TLS 1.2,
// another suite, the kernel refused) takes the next that it can; /api/stats
// counts the connections on each.
inline const char* tls_path(bool ktls, bool seal) {
    return ktls ? "ktls" : seal ? "sealer" : "userspace";
}

}  // namespace ringcast
