#pragma once
// Identity as the configuration asks for it: the token verifier (key files read,
// the key checked against the algorithm) and ringcastd's own stream-token key,
// read or made at the first start, so that a misconfiguration stops the start
// with a message.
#include <memory>
#include <string>

#include "auth/stream_token.h"
#include "auth/token_verifier.h"
#include "config/config.h"

namespace ringcast {

struct AuthSetup {
    std::shared_ptr<const TokenVerifier> verifier;
    std::shared_ptr<const StreamTokenSigner> signer;  // nullptr: stream tokens off
    bool key_made = false;  // the stream-token key file was made by this start
    std::string key_path;   // where it is ("" when off)
};

// False with *error when a key file cannot be read or made, or a key cannot
// serve its algorithm. With check_only (--check-config) a missing stream-token
// key is not made: the start will make it.
bool make_auth(const Config& cfg, AuthSetup* out, std::string* error, bool check_only = false);

// Reads the stream-token key at `path`, or makes it (a random key, mode 0600)
// when there is no file yet and `make` says so; *made says whether it was made.
// False with *error naming the file (never its content).
bool load_or_make_token_key(const std::string& path, bool make, std::string* key, bool* made,
                            std::string* error);

}  // namespace ringcast
