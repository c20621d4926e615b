#pragma once
// Sockets systemd opened for us (socket activation: LISTEN_FDS, LISTEN_FDNAMES,
// sd_listen_fds_with_names(3)), recognised by the names systemd/ringcast.socket
// gives them with FileDescriptorName=:
//   "http"     a listening TCP socket (ListenStream=ADDR:PORT): the HTTP listener
//   "publish"  a listening Unix stream socket (ListenStream=/path): the
//              publishing socket
//   "https"    a listening TCP socket: the HTTPS listener ([tls] listen must be
//              set, with the certificate and key; the socket replaces its address)
// Each is used instead of binding what the configuration names, so connections
// made while the daemon restarts wait in the socket's backlog instead of being
// refused. Anything else passed (another name, a socket of the wrong kind, a
// name twice) is a startup error that names it: a socket unit that does not
// match would otherwise leave clients connecting to a socket nobody accepts on.
#include <string>

namespace ringcast {

struct ActivatedSockets {
    int http = -1;     // -1: not passed (the daemon binds server.http itself)
    int publish = -1;  // -1: not passed (the daemon binds server.unix itself)
    int https = -1;    // -1: not passed (the daemon binds tls.listen itself)
    bool any() const { return http >= 0 || publish >= 0 || https >= 0; }
};

// Takes the sockets passed to this process and removes LISTEN_* from the
// environment. True with *out filled (nothing passed: both -1); false with
// *error listing every problem, one per line, and every passed socket closed.
// The sockets taken are close-on-exec from now on; the caller owns them.
bool take_activated_sockets(ActivatedSockets* out, std::string* error);

}  // namespace ringcast
