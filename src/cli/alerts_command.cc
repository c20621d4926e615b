// ringcast alerts list | show ID | create | update ID | delete ID | preview |
// refresh: the alerts (banners) of docs/alerts.md, through the socket's alerts
// ops (docs/protocol.md, "Alerts"). An alert is given by flags (--title,
// --type, --user, ...) or whole as JSON (--json-body FILE, or - for stdin);
// the daemon validates it and names the field at fault. `update` changes only
// the fields its flags give (a merge patch); with --json-body it replaces the
// alert. A change names the version it edited (--version): a stale one is
// refused, and the alert as it stands is printed to merge by hand.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

using simdjson::SUCCESS;
using simdjson::dom::element;
using simdjson::dom::object;

// The flags that make an alert; an Option's count() says whether it was given.
struct AlertFlags {
    std::string title, message, details, type, icon, starts_at, expires_at, target, metadata;
    int priority = 5;
    bool dismissible = true, persistent = false, require_auth = false;
    std::vector<std::string> users, roles, permissions, exclude, actions;
    std::string json_body;  // FILE, or "-" for stdin
    std::vector<CLI::Option*> given;
    CLI::Option *o_priority = nullptr, *o_dismissible = nullptr, *o_persistent = nullptr,
                *o_require_auth = nullptr, *o_json_body = nullptr;
    std::vector<std::pair<CLI::Option*, std::pair<const char*, std::string*>>> text;
};

struct AlertsArgs {
    uint64_t id = 0;
    uint64_t version = 0;
    bool active = false, inactive = false;
    std::string type;
    size_t limit = 50, offset = 0;
    std::string reason;
    CLI::Option *o_version = nullptr, *o_type = nullptr, *o_limit = nullptr, *o_offset = nullptr,
                *o_reason = nullptr;
    AlertFlags create_fields, update_fields, preview_fields;  // one set per command
    CLI::App *list = nullptr, *show = nullptr, *create = nullptr, *update = nullptr,
             *remove = nullptr, *preview = nullptr, *refresh = nullptr;
};

void add_alert_flags(CLI::App* sub, AlertFlags& f) {
    auto text = [&](const char* flag, const char* key, std::string& into, const char* help) {
        CLI::Option* o = sub->add_option(flag, into, help);
        f.text.push_back({o, {key, &into}});
        f.given.push_back(o);
    };
    text("--title", "title", f.title, "the title (plain text; required to create)");
    text("--message", "message", f.message, "the message (plain text)");
    text("--details", "details", f.details, "more text, shown on demand");
    text("--type", "alert_type", f.type,
         "info (default), warning, error, success, or a configured custom type");
    text("--icon", "icon", f.icon, "an icon name the page maps to an icon");
    text("--starts-at", "starts_at", f.starts_at,
         "ISO 8601 time it is shown from (a scheduled alert), e.g. 2026-12-24T21:00:00Z");
    text("--expires-at", "expires_at", f.expires_at, "ISO 8601 time it disappears");
    text("--target", "target", f.target,
         "all, authenticated, user-specific, role-based, permission-based, subscribers "
         "(default: all, or what the one list given implies)");
    f.o_priority = sub->add_option("--priority", f.priority, "0-10, higher first (default 5)");
    f.o_dismissible = sub->add_option("--dismissible", f.dismissible,
                                      "true (default) or false: users may hide it");
    f.o_persistent = sub->add_option("--persistent", f.persistent,
                                     "true or false (default): pages keep it across reloads");
    f.o_require_auth =
        sub->add_flag("--require-auth", f.require_auth, "only streams with a token see it");
    f.given.insert(f.given.end(),
                   {f.o_priority, f.o_dismissible, f.o_persistent, f.o_require_auth});
    f.given.push_back(sub->add_option("--user", f.users, "target this user (repeatable)"));
    f.given.push_back(sub->add_option("--role", f.roles, "target this role (repeatable)"));
    f.given.push_back(
        sub->add_option("--permission", f.permissions, "target this permission (repeatable)"));
    f.given.push_back(sub->add_option("--exclude", f.exclude, "leave this user out (repeatable)"));
    f.given.push_back(sub->add_option(
        "--action", f.actions,
        "a button: LABEL=URL (http(s) or relative) or LABEL=NAME (an action the page "
        "handles); repeatable"));
    text("--metadata", "metadata", f.metadata, "any JSON, e.g. '{\"customType\":\"maintenance\"}'");
    f.o_json_body = sub->add_option("--json-body", f.json_body,
                                    "the whole alert as a JSON object, from FILE or - (stdin), "
                                    "instead of the flags above");
}

bool any_given(const AlertFlags& f) {
    for (CLI::Option* o : f.given)
        if (o->count() > 0) return true;
    return false;
}

// A JSON document given on the command line or in a file, compact; `what`
// names it in the error.
std::string compact_json(const std::string& text, std::string_view what, bool object_only) {
    simdjson::dom::parser p;
    element e;
    if (p.parse(text).get(e) != SUCCESS) throw UsageError(fmt::format("{} is not JSON", what));
    if (object_only && !e.is_object())
        throw UsageError(fmt::format("{} must be a JSON object (the alert's fields)", what));
    return simdjson::minify(e);
}

std::string read_body(const std::string& where) {
    std::string text;
    if (where == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        std::ifstream in(where, std::ios::binary);
        if (!in) throw UsageError(fmt::format("--json-body: cannot read {}", where));
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return compact_json(text, fmt::format("--json-body {}", where == "-" ? "(stdin)" : where),
                        true);
}

// LABEL=URL or LABEL=NAME. Anything with a scheme or a path is a URL, for the
// daemon to check (so that "javascript:..." is refused, not taken as a name).
void write_action(JsonWriter& w, const std::string& spec) {
    size_t eq = spec.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == spec.size())
        throw UsageError(
            fmt::format("--action \"{}\": write LABEL=URL or LABEL=NAME, e.g. \"Status "
                        "page=https://status.example.com\"",
                        spec));
    std::string label = spec.substr(0, eq), target = spec.substr(eq + 1);
    const bool url = target.find(':') != std::string::npos || target.starts_with('/') ||
                     target.starts_with('.') || target.starts_with('?') || target.starts_with('#');
    w.begin_object().key("label").value(label).key(url ? "url" : "action").value(target);
    w.end_object();
}

// The alert (or the patch) the flags describe, as a JSON object.
std::string alert_from_flags(const AlertFlags& f) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    for (const auto& [o, field] : f.text) {
        if (o->count() == 0) continue;
        w.key(field.first);
        if (std::string_view(field.first) == "metadata")
            w.raw(compact_json(*field.second, "--metadata", false));
        else
            w.value(*field.second);
    }
    if (f.o_priority->count()) w.key("priority").value(f.priority);
    if (f.o_dismissible->count()) w.key("dismissible").value(f.dismissible);
    if (f.o_persistent->count()) w.key("persistent").value(f.persistent);
    if (f.o_require_auth->count()) w.key("requireAuth").value(true);
    auto list = [&](const char* key, const std::vector<std::string>& v) {
        if (v.empty()) return;
        w.key(key).begin_array();
        for (const std::string& s : v)
            w.value(s);
        w.end_array();
    };
    list("targetUsers", f.users);
    list("targetRoles", f.roles);
    list("targetPermissions", f.permissions);
    list("excludeUsers", f.exclude);
    if (!f.actions.empty()) {
        w.key("actions").begin_array();
        for (const std::string& a : f.actions)
            write_action(w, a);
        w.end_array();
    }
    w.end_object();
    return out;
}

// The alert a command sends: --json-body or the flags, not both.
std::string alert_input(const AlertFlags& f) {
    if (f.o_json_body->count()) {
        for (CLI::Option* o : f.given)
            if (o->count() && o != f.o_json_body)
                throw UsageError(
                    fmt::format("give --json-body or field flags ({}), not both", o->get_name()));
        return read_body(f.json_body);
    }
    if (!any_given(f))
        throw UsageError(
            "give the alert's fields (--title, --message, --type, ...) or --json-body");
    return alert_from_flags(f);
}

// --- output ------------------------------------------------------------------------

std::string utc_now_iso() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}

std::string text_of(element v) {
    std::string_view s;
    if (v.get_string().get(s) == SUCCESS) return std::string(s);
    return simdjson::minify(v);
}

std::string member(object a, std::string_view key, std::string_view none = "-") {
    element v;
    return a[key].get(v) == SUCCESS ? text_of(v) : std::string(none);
}

// The daemon writes times in UTC with milliseconds and "Z": they compare as text.
std::string state_of(object a, const std::string& now) {
    std::string starts = member(a, "starts_at", ""), expires = member(a, "expires_at", "");
    if (!expires.empty() && expires <= now) return "expired";
    if (!starts.empty() && now < starts) return "scheduled";
    return "active";
}

std::string audience_of(object a) {
    std::string kind = member(a, "target", "all");
    for (const char* key : {"targetUsers", "targetRoles", "targetPermissions"}) {
        simdjson::dom::array list;
        if (a[key].get_array().get(list) != SUCCESS) continue;
        std::string names;
        for (element e : list)
            names += (names.empty() ? "" : ",") + text_of(e);
        kind += ":" + names;
    }
    return kind;
}

std::string actions_of(simdjson::dom::array actions) {
    std::string out;
    for (element e : actions) {
        object a;
        if (e.get_object().get(a) != SUCCESS) continue;
        if (!out.empty()) out += "; ";
        element url;
        out += member(a, "label") + " -> " +
               (a["url"].get(url) == SUCCESS ? text_of(url) : "action " + member(a, "action"));
    }
    return out;
}

void print_alert(object a) {
    Table t;
    for (auto field : a) {
        simdjson::dom::array list;
        std::string value;
        if (field.key == "actions" && field.value.get_array().get(list) == SUCCESS) {
            value = actions_of(list);
        } else if (field.value.get_array().get(list) == SUCCESS) {
            for (element e : list)
                value += (value.empty() ? "" : ",") + text_of(e);
        } else {
            value = text_of(field.value);
        }
        t.add({std::string(field.key), value});
    }
    t.print();
}

void print_list(object reply) {
    simdjson::dom::array alerts;
    if (reply["alerts"].get_array().get(alerts) != SUCCESS || alerts.size() == 0) {
        print_line("no alerts");
        return;
    }
    const std::string now = utc_now_iso();
    Table t({"ID", "TYPE", "PRI", "STATE", "TITLE", "STARTS", "EXPIRES", "AUDIENCE", "VER"});
    for (element e : alerts) {
        object a;
        if (e.get_object().get(a) != SUCCESS) continue;
        t.add({member(a, "id"), member(a, "alert_type"), member(a, "priority"), state_of(a, now),
               member(a, "title"), member(a, "starts_at"), member(a, "expires_at"), audience_of(a),
               member(a, "version")});
    }
    t.print(stdout, "");
    uint64_t total = 0, offset = 0;
    if (reply["total"].get_uint64().get(total) == SUCCESS && total > alerts.size()) {
        if (reply["offset"].get_uint64().get(offset) != SUCCESS) offset = 0;
        print_line(fmt::format("alerts {}-{} of {} (--offset, --limit for more)", offset + 1,
                               offset + alerts.size(), total));
    }
}

// --json: {"ok":true, <the reply's members>}.
void print_json_reply(const std::string& members) {
    std::string inner = members.size() > 2 ? members.substr(1, members.size() - 2) : "";
    print_line(inner.empty() ? "{\"ok\":true}" : "{\"ok\":true," + inner + "}");
}

int run(const GlobalOptions& g, const AlertsArgs& a) {
    std::string op, members;
    JsonWriter w(members);
    w.begin_object();
    if (a.list->parsed()) {
        op = "alerts.list";
        if (a.active && a.inactive) throw UsageError("give --active or --inactive, not both");
        if (a.active || a.inactive) w.key("active").value(a.active);
        if (a.o_type->count()) w.key("type").value(a.type);
        if (a.o_limit->count()) w.key("limit").value(uint64_t(a.limit));
        if (a.o_offset->count()) w.key("offset").value(uint64_t(a.offset));
    } else if (a.show->parsed()) {
        op = "alerts.get";
        w.key("id").value(a.id);
    } else if (a.create->parsed() || a.preview->parsed()) {
        op = a.create->parsed() ? "alerts.create" : "alerts.preview";
        w.key("alert").raw(alert_input(a.create->parsed() ? a.create_fields : a.preview_fields));
    } else if (a.update->parsed()) {
        const bool whole = a.update_fields.o_json_body->count() > 0;
        op = whole ? "alerts.update" : "alerts.patch";
        w.key("id").value(a.id).key("version").value(a.version);
        w.key(whole ? "alert" : "patch").raw(alert_input(a.update_fields));
    } else if (a.remove->parsed()) {
        op = "alerts.delete";
        w.key("id").value(a.id);
        if (a.o_version->count()) w.key("version").value(a.version);
    } else if (a.refresh->parsed()) {
        op = "alerts.refresh";
        if (a.o_reason->count()) w.key("reason").value(a.reason);
    }
    w.end_object();

    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.alerts(op, members);
    if (!r.ok) {
        int code = report_failure(r, g);
        if (!g.json && r.answered && r.code == "version_conflict" && !r.json.empty()) {
            simdjson::dom::parser p;
            object current;
            if (p.parse(r.json).get_object().get(current) == SUCCESS) {
                print_line(fmt::format("alert {} as it stands (version {}):", member(current, "id"),
                                       member(current, "version")));
                print_alert(current);
            }
        }
        return code;
    }
    if (g.json) {
        print_json_reply(r.json);
        return kExitOk;
    }
    simdjson::dom::parser p;
    object reply, alert;
    if (p.parse(r.json).get_object().get(reply) != SUCCESS) {
        fmt::print(stderr, "ringcast: the daemon's answer is not JSON: {}\n", r.json);
        return kExitUnreachable;
    }
    const bool has_alert = reply["alert"].get_object().get(alert) == SUCCESS;
    if (a.list->parsed()) {
        print_list(reply);
    } else if (a.preview->parsed()) {
        print_line(
            fmt::format("an alert with this targeting reaches {} stream(s) of {} user(s) "
                        "on the alerts channel now",
                        member(reply, "streams"), member(reply, "users")));
    } else if (a.remove->parsed()) {
        print_line(fmt::format("deleted alert {}", a.id));
    } else if (a.refresh->parsed()) {
        print_line(
            fmt::format("sent alerts-refresh (reason {}) to every stream on the alerts "
                        "channel",
                        a.o_reason->count() ? a.reason : "admin_update"));
    } else if (has_alert) {
        if (a.create->parsed())
            print_line(fmt::format("created alert {} (version {})", member(alert, "id"),
                                   member(alert, "version")));
        if (a.update->parsed())
            print_line(fmt::format("updated alert {} (now version {})", member(alert, "id"),
                                   member(alert, "version")));
        print_alert(alert);
    }
    return kExitOk;
}

}  // namespace

Command add_alerts(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<AlertsArgs>();
    CLI::App* sub = app.add_subcommand(
        "alerts", "Manage alerts (banners): list, show, create, update, delete, preview, refresh");
    sub->require_subcommand(1);

    a->list = sub->add_subcommand("list", "List the alerts, newest first");
    a->list->add_flag("--active", a->active, "only those shown now");
    a->list->add_flag("--inactive", a->inactive, "only those not shown now (scheduled, expired)");
    a->o_type = a->list->add_option("--type", a->type, "only this alert type");
    a->o_limit = a->list->add_option("--limit", a->limit, "at most this many (1-500, default 50)");
    a->o_offset = a->list->add_option("--offset", a->offset, "skip this many first");

    a->show = sub->add_subcommand("show", "Show one alert");
    a->show->add_option("id", a->id, "the alert's id")->required();

    a->create = sub->add_subcommand("create", "Create an alert; it reaches its streams at once");
    add_alert_flags(a->create, a->create_fields);
    a->create->footer(
        "Example: ringcast alerts create --title 'Maintenance at 22:00' --type warning "
        "--priority 8 --role customer --expires-at 2026-12-24T23:00:00Z");

    a->update = sub->add_subcommand(
        "update", "Change an alert: the fields given (or, with --json-body, the whole alert)");
    a->update->add_option("id", a->id, "the alert's id")->required();
    a->update->add_option("--version", a->version, "the version you edited (show prints it)")
        ->required();
    add_alert_flags(a->update, a->update_fields);
    a->update->footer(
        "A version other than the alert's is refused (exit 1), and the alert as it stands is "
        "printed: merge and try again with its version.");

    a->remove = sub->add_subcommand("delete", "Delete an alert; it leaves every stream at once");
    a->remove->add_option("id", a->id, "the alert's id")->required();
    a->o_version = a->remove->add_option("--version", a->version,
                                         "only if the alert is still at this version");

    a->preview = sub->add_subcommand(
        "preview", "How many streams and users an alert with this targeting would reach now");
    add_alert_flags(a->preview, a->preview_fields);

    a->refresh =
        sub->add_subcommand("refresh", "Send alerts-refresh to every stream on the alerts channel");
    a->o_reason = a->refresh->add_option("--reason", a->reason,
                                         "sent to the pages as given (default admin_update)");
    sub->footer("Over the Unix socket: no API key. docs/clients.md describes each command.");
    return {sub, [a, &g] { return run(g, *a); }};
}

}  // namespace ringcast::cli
