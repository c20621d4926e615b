// From one alert set to another as the changes one at a time (what a node
// does with a set another node made): each step's kind, alert and user, and
// the last step's set the new set itself.
#include "alerts/alert_steps.h"

#include <memory>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

Alert alert(uint64_t id, std::string title = "t") {
    Alert a;
    a.id = id;
    a.title = std::move(title);
    a.version = 1;
    return a;
}

AlertSnapshot snap(AlertSet s) {
    return std::make_shared<const AlertSet>(std::move(s));
}

using K = AlertChange::Kind;

TEST(AlertSteps, NoneForTheSameSetOrOnlyExpiryMarks) {
    AlertSet a;
    a.alerts = {alert(1), alert(2)};
    AlertSet b = a;
    b.expiry_announced[1] = 123;
    EXPECT_TRUE(alert_steps(snap(a), snap(a)).empty());
    EXPECT_TRUE(alert_steps(snap(a), snap(b)).empty());
}

TEST(AlertSteps, CreatedOrChangedThenDeletedThenDismissed) {
    AlertSet from;
    from.alerts = {alert(1), alert(2), alert(3)};
    from.dismissed[3] = {"zed"};
    AlertSet to;
    to.alerts = {alert(1), alert(2, "changed"), alert(4), alert(5)};
    to.dismissed[1] = {"bob", "amy"};
    const AlertSnapshot target = snap(to);
    const auto steps = alert_steps(snap(from), target);
    ASSERT_EQ(steps.size(), 6u);
    EXPECT_EQ(steps[0].change.kind, K::updated);
    EXPECT_EQ(steps[0].change.alert_id, 2u);
    EXPECT_EQ(steps[1].change.kind, K::created);
    EXPECT_EQ(steps[1].change.alert_id, 4u);
    EXPECT_EQ(steps[2].change.kind, K::created);
    EXPECT_EQ(steps[2].change.alert_id, 5u);
    EXPECT_EQ(steps[3].change.kind, K::deleted);
    EXPECT_EQ(steps[3].change.alert_id, 3u);
    EXPECT_EQ(steps[4].change.kind, K::dismissed);
    EXPECT_EQ(steps[5].change.kind, K::dismissed);
    EXPECT_EQ(steps[4].change.alert_id, 1u);
    EXPECT_NE(steps[4].change.user, steps[5].change.user);
    // Each step holds what the changes so far made, in id order.
    EXPECT_EQ(steps[0].set->find(2)->title, "changed");
    EXPECT_EQ(steps[0].set->find(4), nullptr);
    EXPECT_EQ(steps[1].set->alerts.size(), 4u);
    EXPECT_EQ(steps[1].set->alerts[3].id, 4u);
    EXPECT_EQ(steps[1].set->find(5), nullptr);
    EXPECT_EQ(steps[3].set->find(3), nullptr);
    EXPECT_FALSE(steps[3].set->dismissed.contains(3));
    EXPECT_TRUE(steps[4].set->dismissed_by(1, steps[4].change.user));
    EXPECT_EQ(steps.back().set, target);
}

TEST(AlertSteps, ADismissalThatIsGoneShowsItsAlertAgain) {
    AlertSet from;
    from.alerts = {alert(1)};
    from.dismissed[1] = {"amy"};
    AlertSet to;
    to.alerts = {alert(1)};
    const auto steps = alert_steps(snap(from), snap(to));
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].change.kind, K::updated);
    EXPECT_EQ(steps[0].change.alert_id, 1u);
    EXPECT_FALSE(steps[0].set->dismissed_by(1, "amy"));
}

}  // namespace
}  // namespace ringcast
