#pragma once
// A whole AlertSet as one JSON document: how a cluster keeps the alerts in
// Redis (cluster/alert_share.h, docs/alerts.md "In a cluster"), one value that
// a compare-and-set replaces at once.
//
//   {"alerts": [<alert as write_alert writes it>, ...],           ids ascending
//    "dismissed": [[7, ["alice", "bob"]], ...],                    ids ascending, users sorted
//    "expiryAnnounced": [[7, 1765000000000], ...]}                 ids ascending
//
// The text is a function of the set: two nodes holding the same set write the
// same bytes. What Redis holds is trusted no more than the network (another
// version of ringcastd, a bug, anyone with access to Redis may put anything
// there): read_alert_set refuses what is not such a document with a reason,
// and never reads past its input.
#include <string>
#include <string_view>

#include <simdjson.h>

#include "alerts/alert_set.h"

namespace ringcast {

std::string alert_set_json(const AlertSet& set);

// False, with `*error` saying what is wrong, unless `text` is a set as
// alert_set_json writes it: alerts are read as stored ones (no limits), ids
// unique, dismissals and marks only of alerts in the set.
bool read_alert_set(simdjson::dom::parser& parser, std::string_view text, AlertSet* out,
                    std::string* error);

}  // namespace ringcast
