#pragma once
// --audiences N: the identities the subscribers present. Each audience is a
// user and a role of its own ("load-audience-I"); its stream token comes from
// the daemon (POST /api/tokens, with the API key). With --alerts each audience
// also gets a standing alert targeted at its role, so that every change of the
// measured alert (targeted at everyone) leaves N distinct lists: what
// serializing once per distinct list costs against one list for everybody.
#include <string>
#include <vector>

#include "stats_client.h"

namespace ringcast::load {

struct AudienceSetup {
    std::vector<std::string> tokens;  // one per audience
};

// False with *error naming the request that failed.
bool prepare_audiences(const Endpoint& target, const std::string& api_key, unsigned audiences,
                       bool alerts, uint32_t timeout_ms, AudienceSetup* out, std::string* error);

}  // namespace ringcast::load
