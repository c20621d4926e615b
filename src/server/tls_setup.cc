#include "server/tls_setup.h"

#include "tls/ktls_probe.h"

namespace ringcast {

bool make_tls(const Config& cfg, TlsSetup* out, std::string* error) {
    if (cfg.tls_listen.empty()) {
        out->context = nullptr;
        return true;
    }
    TlsContextOptions o;
    o.certificate = cfg.tls_certificate;
    o.key = cfg.tls_key;
    o.min_version = cfg.tls_min_version;
    o.ciphers = cfg.tls_ciphers;
    o.ciphersuites = cfg.tls_ciphersuites;
    o.session_tickets = cfg.tls_session_tickets;
    o.ticket_rotation_ms = cfg.tls_ticket_rotation_ms;
    o.offer_h2 = cfg.http2_enabled;
    o.ktls = cfg.tls_ktls == "on" || (cfg.tls_ktls == "auto" && kernel_tls().kernel_tls);
    o.seal = cfg.tls_seal == "auto";
    std::shared_ptr<TicketKeys> keys =
        out->ticket_keys ? out->ticket_keys : std::make_shared<TicketKeys>(o.ticket_rotation_ms);
    std::shared_ptr<const TlsContext> ctx = TlsContext::create(o, keys, error);
    if (!ctx) return false;
    out->ticket_keys = std::move(keys);
    out->context = std::move(ctx);
    return true;
}

}  // namespace ringcast
