#pragma once
// The token verifier the configuration asks for: key files read, the key checked
// against the algorithm, so a misconfiguration stops the start with a message.
#include <memory>
#include <string>

#include "auth/token_verifier.h"
#include "config/config.h"

namespace ringcast {

// An unconfigured verifier when auth.algorithm is "". nullptr with *error when a
// key file cannot be read or the key cannot serve the algorithm.
std::shared_ptr<const TokenVerifier> make_token_verifier(const Config& cfg, std::string* error);

}  // namespace ringcast
