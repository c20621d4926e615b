#pragma once
// What [tls] configures (docs/configuration.md), as the TLS layer takes it.
#include <cstdint>
#include <string>

namespace ringcast {

// How certificates and keys are loaded and which handshakes are accepted: what
// a TlsContext is built from (tls/tls_context.h).
struct TlsContextOptions {
    std::string certificate;   // PEM: the server certificate, then its chain
    std::string key;           // PEM: its private key
    std::string min_version;   // "1.2" or "1.3"
    std::string ciphers;       // TLS 1.2 cipher list (OpenSSL syntax)
    std::string ciphersuites;  // TLS 1.3 suites
    bool session_tickets = true;
    uint64_t ticket_rotation_ms = 12 * 3600 * 1000;  // a ticket key encrypts this long
    bool offer_h2 = false;  // ALPN offers h2 before http/1.1 ([http2] enabled)
    // Handshakes keep what kTLS transmit needs (tls/ktls_tx.h): tls.ktls allows
    // it and the kernel has the tls ULP.
    bool ktls = false;
    // After the handshake, TLS 1.3 records are sealed by ringcastd itself
    // (tls/record_sealer.h) rather than by SSL_write, where the kernel does not
    // encrypt: tls.seal = "auto".
    bool seal = false;
};

// What the transport applies to each TLS connection of a shard.
struct TlsLimits {
    uint64_t handshake_timeout_ms = 10'000;  // accept to handshake done
    uint32_t max_handshakes = 1024;          // in flight per shard; beyond: closed at once
};

// Mozilla's "intermediate" recommendation (ssl-config.mozilla.org, version 5.7):
// TLS 1.2 with ECDHE and AEAD ciphers only, every TLS 1.3 suite.
inline constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kIntermediateCiphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

}  // namespace ringcast
