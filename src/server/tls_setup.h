#pragma once
// HTTPS as the configuration asks for it ([tls]): the TLS context built from
// the certificate and key files, so that a bad file stops the start (or a
// reload, or --check-config) with a message naming it, before any listener
// opens. The session-ticket keys are made once for the daemon's life and
// shared by every context a reload builds (tls/ticket_keys.h).
#include <memory>
#include <string>

#include "config/config.h"
#include "tls/tls_context.h"

namespace ringcast {

struct TlsSetup {
    std::shared_ptr<TicketKeys> ticket_keys;    // made at the first make_tls()
    std::shared_ptr<const TlsContext> context;  // nullptr: tls.listen is ""
};

// The context of cfg's [tls] into out->context (nullptr when tls.listen is
// ""), with out->ticket_keys (made if there are none yet). False with *error
// naming the file or key and why; *out is then unchanged.
bool make_tls(const Config& cfg, TlsSetup* out, std::string* error);

}  // namespace ringcast
