#pragma once
// The identity a verified token yields: what targeting and endpoint gates read.
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast {

struct Claims {
    std::string user;  // never empty in a verified token
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
    bool subscriber = false;
    bool publish = false;      // may POST /api/publish
    bool admin = false;        // the admin claim, or role "admin"
    int64_t expires_at_s = 0;  // the token's exp (Unix seconds); 0 = never expires
    // When the verifier stops accepting the token (exp + auth.leeway, rounded up
    // to the whole second, since verify() is asked in seconds), in Unix ms; 0 =
    // never. A stream opened with it ends then: the one rule for admission and
    // for the stream's end.
    int64_t accepted_until_ms = 0;
    // Signed by ringcastd itself (stream_token.h): it opens streams, and is
    // refused by the API whatever its roles say.
    bool stream_token = false;
};

}  // namespace ringcast
