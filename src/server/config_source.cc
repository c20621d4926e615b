#include "server/config_source.h"

#include <fmt/format.h>

#include "web/web_root.h"

namespace ringcast {

bool ConfigSource::load(Config* cfg, ConfigProblems* problems) const {
    std::string error;
    load_config(*cfg, path, problems);
    if (!http.empty()) cfg->http = http;
    if (unix_path) cfg->unix_path = *unix_path;
    if (shards) cfg->shards = shards;
    if (!data_dir.empty()) cfg->data_dir = data_dir;
    if (!log_level.empty()) cfg->log_level = log_level;
    if (!log_format.empty()) cfg->log_format = log_format;
    if (!accept.empty()) cfg->accept = accept;
    if (!api_key_file.empty()) cfg->publish_api_key_file = api_key_file;
    validate_config(*cfg, problems);
    if (!problems->about("publish.api_key_file") && !read_api_key_file(*cfg, &error))
        problems->add_rule_problem({"publish.api_key_file"}, error);
    check_web_folder(*cfg, problems);
    return problems->empty();
}

void check_web_folder(const Config& cfg, ConfigProblems* problems) {
    std::string why;
    if (!cfg.web_enabled || cfg.web_root.empty() || problems->about("web")) return;
    if (!check_web_root(cfg.web_root, &why))
        problems->add_rule_problem({"web.root"},
                                   fmt::format("web.root \"{}\": {}", cfg.web_root, why));
}

}  // namespace ringcast
