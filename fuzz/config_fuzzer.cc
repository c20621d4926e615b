// The configuration file (src/config): the operator's TOML applied over the
// built-in defaults with apply_config_text, the rules between keys checked by
// validate_config, and a configuration that passes turned into the options the
// shards and the store run with, as ringcastd --config and --check-config do.
//
// Properties: a text is refused exactly when it adds a problem, every problem
// report names the file, the all-or-nothing form leaves the configuration as
// it was when it refuses, and a configuration that validates maps to options.
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/problems.h"
#include "fuzz_support.h"
#include "server/options.h"

namespace ringcast::fuzz {
namespace {

const Config& defaults() {
    static const Config c = [] {
        Config d;
        std::string error;
        if (!apply_config_text(d, default_config_toml(), "<built-in defaults>", &error))
            fail("the built-in defaults do not apply");
        return d;
    }();
    return c;
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::string source = "fuzz.toml";

    Config cfg = defaults();
    ConfigProblems problems;
    const bool applied = apply_config_text(cfg, text, source, &problems);
    check(applied == problems.empty(), "apply_config_text's answer disagrees with its problems");
    const bool valid = validate_config(cfg, &problems);
    if (!problems.empty()) {
        const std::string report = problems.report();
        check(!report.empty(), "problems with an empty report");
        check(applied || report.find(source) != std::string::npos,
              "a problem of the file does not name it");
    }
    if (applied && valid) {
        AuthSetup auth;  // the key files are not read here
        ShardOptions shard = shard_options(cfg, 1024, auth);
        StoreOptions store = store_options(cfg);
        (void)shard;
        (void)store;
    }

    // All or nothing: a refused text changes nothing.
    Config all_or_nothing = defaults();
    std::string error;
    if (!apply_config_text(all_or_nothing, text, source, &error)) {
        check(!applied, "the all-or-nothing form refused a text the other took");
        check(!error.empty(), "a refusal without a report");
        check(all_or_nothing.endpoints == defaults().endpoints &&
                  all_or_nothing.channels == defaults().channels &&
                  all_or_nothing.http == defaults().http &&
                  all_or_nothing.max_body == defaults().max_body,
              "a refused text changed the configuration");
    } else {
        check(applied, "the all-or-nothing form took a text the other refused");
    }
    return 0;
}
