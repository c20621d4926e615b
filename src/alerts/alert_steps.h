#pragma once
// From one AlertSet to another, as the changes one at a time: what a node does
// with a set another node made (docs/alerts.md, "In a cluster"). Each step is
// an intermediate set and the change that made it (AlertChange), so that every
// shard's feed tells its streams exactly what it would have told them had the
// change been made here: `alert` for an alert created or changed, a new list
// for the streams a deletion or a dismissal touches.
#include <vector>

#include "alerts/alert_feed.h"
#include "alerts/alert_set.h"

namespace ringcast {

struct AlertStep {
    AlertSnapshot set;
    AlertChange change;
};

// The steps from `from` to `to`: alerts created or changed (by ascending id),
// alerts deleted, then dismissals added (one step per user), then dismissals that
// disappeared (as a change of their alert). The last step's set is `to`
// itself. None when the two differ at most in their expiry marks (which no
// feed reads).
std::vector<AlertStep> alert_steps(const AlertSnapshot& from, const AlertSnapshot& to);

}  // namespace ringcast
