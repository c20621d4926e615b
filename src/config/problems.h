#pragma once
// What is wrong with a configuration, gathered while it is read and checked, and
// reported in the order of the file. An operator fixes a file from the top, but
// the loader finds problems in its own order: every value is read before the
// rules across keys are checked, so a rule broken on line 3 would otherwise be
// reported after a bad value on line 40 (or not at all until that is fixed).
// Each problem names the keys it is about; the file's place of the first of them
// that the file sets puts it in order.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

// A position in a configuration file; line 0: none (a built-in default, a flag).
struct ConfigPlace {
    uint32_t line = 0;
    uint32_t column = 0;

    bool known() const { return line > 0; }
    auto operator<=>(const ConfigPlace&) const = default;
};

class ConfigProblems {
public:
    // The file being read ("/etc/ringcast/ringcast.toml"), named in front of
    // every problem it places.
    void set_source(std::string source) { _source = std::move(source); }
    // Where the file sets `key` ("delivery.queue_limit", a table "delivery", an
    // endpoint block "endpoint[1]" or a key in it "endpoint[1].path").
    void set_place(const std::string& key, ConfigPlace at) { _places[key] = at; }

    // A value that could not be taken (a wrong type, an unknown key, a syntax
    // error): `message` is complete, its place included; `key` is the setting it
    // leaves at its previous value. Rules involving that key are not judged.
    void add_value_problem(std::string key, ConfigPlace at, std::string message);
    // A rule across keys that does not hold, naming the keys it reads. Dropped
    // when one of them had a value problem: the rule saw a value the file did
    // not give, and the value problem says what to fix.
    void add_rule_problem(std::vector<std::string> keys, std::string message);

    // The file could not be parsed past a syntax error: what was read is not
    // the whole configuration, so no rule across keys is judged.
    void set_incomplete() { _incomplete = true; }
    bool incomplete() const { return _incomplete; }

    // Whether a problem so far is about `key` or a key inside it ("auth": any
    // key of [auth]), so that a later check reading those keys can be skipped.
    bool about(const std::string& key) const;

    bool empty() const { return _found.empty(); }
    size_t size() const { return _found.size(); }
    // Every problem, one per line, in the order of the file; those the file
    // does not place (about defaults or flags) last, in the order found.
    std::string report() const;

private:
    struct Problem {
        ConfigPlace at;
        size_t found = 0;  // order of discovery, to break ties and order the unplaced
        std::string message;
        std::vector<std::string> keys;
        bool value = false;  // a value problem (its key kept its previous value)
    };
    ConfigPlace place_of(const std::string& key) const;
    bool has_value_problem(const std::string& key) const;
    std::vector<const Problem*> ordered() const;

    std::string _source;
    std::map<std::string, ConfigPlace> _places;
    std::vector<Problem> _found;
    bool _incomplete = false;
};

}  // namespace ringcast
