#pragma once
// [alerts] at startup: the options, the SQLite file opened (created or migrated)
// and everything in it loaded, before any shard starts, so that the first
// stream already gets the alerts.
#include <memory>
#include <string>

#include "alerts/alert_db.h"
#include "alerts/alert_options.h"
#include "alerts/alert_set.h"
#include "config/config.h"

namespace ringcast {

struct AlertsSetup {
    AlertOptions options;
    std::unique_ptr<AlertDb> db;  // nullptr when alerts are disabled
    AlertSnapshot loaded;
};

// [alerts], with a relative path resolved against server.data_dir.
AlertOptions alert_options(const Config& cfg);

// False, with `*error` naming the file and what to do, if it cannot be opened
// or read.
bool open_alerts(const Config& cfg, AlertsSetup* out, std::string* error);

}  // namespace ringcast
