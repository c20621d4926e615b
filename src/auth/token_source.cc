#include "auth/token_source.h"

#include "http/header_text.h"
#include "http/query.h"

namespace ringcast {

std::string_view token_where_name(FoundToken::Where w) {
    switch (w) {
        case FoundToken::Where::header: return "header";
        case FoundToken::Where::cookie: return "cookie";
        case FoundToken::Where::query: return "query";
    }
    return "header";
}

std::optional<std::string_view> bearer_credentials(std::string_view authorization,
                                                   std::string* error) {
    std::string_view value = trim_ows(authorization);
    size_t end_of_scheme = 0;
    while (end_of_scheme < value.size() && !is_ows(value[end_of_scheme]))
        ++end_of_scheme;
    std::string_view scheme = value.substr(0, end_of_scheme);
    std::string_view credentials = trim_ows(value.substr(end_of_scheme));
    if (!equals_nocase(scheme, "bearer")) {
        *error = "the Authorization header must be \"Bearer <token>\"";
        return std::nullopt;
    }
    if (credentials.empty()) {
        *error = "the Authorization header says Bearer but carries no token";
        return std::nullopt;
    }
    for (char c : credentials)
        if (is_ows(c)) {
            *error = "the Authorization header's Bearer token contains whitespace";
            return std::nullopt;
        }
    return credentials;
}

std::optional<std::string_view> cookie_value(std::string_view cookie_header,
                                             std::string_view name) {
    while (!cookie_header.empty()) {
        size_t semi = cookie_header.find(';');
        std::string_view pair = cookie_header.substr(0, semi);
        cookie_header =
            semi == std::string_view::npos ? std::string_view() : cookie_header.substr(semi + 1);
        size_t eq = pair.find('=');
        if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)) != name) continue;
        std::string_view value = trim_ows(pair.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        return value;
    }
    return std::nullopt;
}

std::optional<FoundToken> find_token(const HttpRequest& req, const AuthOptions& options,
                                     std::string* error) {
    if (options.header && req.has_header("authorization")) {
        auto credentials = bearer_credentials(req.header("authorization"), error);
        if (!credentials) return std::nullopt;
        return FoundToken{std::string(*credentials), FoundToken::Where::header};
    }
    if (!options.cookie.empty()) {
        // A client (or an HTTP/2 front end) may split cookies over several headers.
        for (const auto& [name, value] : req.headers) {
            if (name != "cookie") continue;
            auto found = cookie_value(value, options.cookie);
            if (found && !found->empty())
                return FoundToken{std::string(*found), FoundToken::Where::cookie};
        }
    }
    if (!options.query.empty()) {
        bool malformed = false;
        auto found = query_param(req.query(), options.query, &malformed);
        if (malformed) {
            *error = "the query parameter \"" + options.query + "\" has a malformed %-escape";
            return std::nullopt;
        }
        if (found && !found->empty())
            return FoundToken{std::move(*found), FoundToken::Where::query};
    }
    return std::nullopt;
}

}  // namespace ringcast
