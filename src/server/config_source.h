#pragma once
// Where the running configuration comes from: the built-in defaults, the
// --config file, then the command line's flags. Kept for the life of the
// daemon, so that a reload (server/reload.h) reads the same file and lays the
// same flags over it as the start did.
#include <optional>
#include <string>

#include "config/config.h"
#include "config/problems.h"

namespace ringcast {

struct ConfigSource {
    std::string path;  // --config; "" = the defaults only
    // The flags that override the file (empty / unset / 0: not given).
    std::string http, data_dir, log_level, log_format, accept, api_key_file;
    std::optional<std::string> unix_path;
    unsigned shards = 0;

    // The file, the flags over it, then every check that does not need the
    // machine (validate_config, the API key file, the web root). False with
    // the problems gathered in *problems, in the order of the file.
    bool load(Config* cfg, ConfigProblems* problems) const;
};

// [web] root, when the pages are on and read from a folder: it must be one.
void check_web_folder(const Config& cfg, ConfigProblems* problems);

}  // namespace ringcast
