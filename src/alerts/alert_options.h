#pragma once
// [alerts] in the configuration, as the daemon uses it.
#include <string>
#include <vector>

#include "alerts/alert.h"

namespace ringcast {

struct AlertOptions {
    bool enabled = true;
    std::string channel = "alerts";               // the streams that get alert events
    std::string admin_channel = "admin-actions";  // where admins hear of every change
    // Token roles that may manage alerts, besides the admin claim and API keys.
    std::vector<std::string> admin_roles;
    AlertLimits limits;
    std::string path;  // the SQLite file (alerts.db in the data directory)
};

}  // namespace ringcast
