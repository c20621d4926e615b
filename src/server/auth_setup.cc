#include "server/auth_setup.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "auth/base64url.h"

namespace ringcast {

namespace {

std::shared_ptr<TokenVerifier> make_verifier(const Config& cfg, const AuthOptions& base,
                                             std::string* error) {
    auto algorithm = parse_jwt_algorithm(cfg.auth_algorithm);
    if (!algorithm) {  // validate_config refuses it first; kept for direct callers
        *error = fmt::format("auth.algorithm \"{}\" is not HS256, RS256, ES256 or \"\"",
                             cfg.auth_algorithm);
        return nullptr;
    }
    AuthOptions o = base;
    o.algorithm = *algorithm;
    if (o.algorithm == JwtAlgorithm::none) {
        // No token of the application's, but the options still say where a
        // token is found, its claim names and the leeway: ringcastd's own
        // stream tokens are read by them (the signer writes those names).
        std::optional<TokenVerifier> v = TokenVerifier::create(std::move(o), error);
        return v ? std::make_shared<TokenVerifier>(std::move(*v)) : nullptr;
    }
    if (o.algorithm == JwtAlgorithm::hs256) {
        if (!cfg.auth_secret_file.empty()) {
            if (!read_key_file(cfg.auth_secret_file, &o.key, error)) return nullptr;
        } else {
            o.key = cfg.auth_secret;
        }
    } else if (!read_key_file(cfg.auth_public_key_file, &o.key, error)) {
        return nullptr;
    }
    auto v = TokenVerifier::create(std::move(o), error);
    if (!v) {
        // Say which setting to fix; the key itself is never quoted.
        std::string where =
            *algorithm == JwtAlgorithm::hs256
                ? (cfg.auth_secret_file.empty() ? std::string("auth.secret")
                                                : "auth.secret_file (" + cfg.auth_secret_file + ")")
                : "auth.public_key_file (" + cfg.auth_public_key_file + ")";
        *error = fmt::format("{}: {}", where, *error);
        return nullptr;
    }
    return std::make_shared<TokenVerifier>(std::move(*v));
}

}  // namespace

bool load_or_make_token_key(const std::string& path, bool make, std::string* key, bool* made,
                            std::string* error) {
    *made = false;
    if (!make && ::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return true;
    // O_EXCL: two daemons starting on one data directory never both write it.
    int fd = make ? ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (!make) errno = EEXIST;
    if (fd >= 0) {
        unsigned char raw[kStreamTokenKeyBytes];
        std::string text;
        if (RAND_bytes(raw, int(sizeof raw)) == 1)
            text = base64url_encode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
        const std::string line = text + "\n";
        bool ok = !text.empty() && ::write(fd, line.data(), line.size()) == ssize_t(line.size()) &&
                  ::fsync(fd) == 0;
        const int saved = errno;
        ::close(fd);
        if (!ok) {
            ::unlink(path.c_str());
            *error = fmt::format("auth.token_key_file: cannot write a new key to {}: {}", path,
                                 text.empty() ? "no random bytes from OpenSSL" : strerror(saved));
            return false;
        }
        *key = std::move(text);
        *made = true;
        return true;
    }
    if (errno != EEXIST) {
        *error = fmt::format(
            "auth.token_key_file: cannot make {}: {} (set it to \"\" to turn "
            "stream tokens off)",
            path, strerror(errno));
        return false;
    }
    if (!read_key_file(path, key, error)) {
        *error = "auth.token_key_file: " + *error;
        return false;
    }
    if (key->size() < kStreamTokenKeyBytes) {
        *error = fmt::format(
            "auth.token_key_file: {} holds {} bytes, fewer than {}: delete it "
            "and a new key is made at the next start",
            path, key->size(), kStreamTokenKeyBytes);
        return false;
    }
    return true;
}

bool make_auth(const Config& cfg, AuthSetup* out, std::string* error, bool check_only) {
    AuthOptions names;
    names.leeway_ms = cfg.auth_leeway_ms;
    names.issuer = cfg.auth_issuer;
    names.audience = cfg.auth_audience;
    names.header = cfg.auth_header;
    names.cookie = cfg.auth_cookie;
    names.query = cfg.auth_query;
    names.user_claim = cfg.auth_user_claim;
    names.roles_claim = cfg.auth_roles_claim;
    names.permissions_claim = cfg.auth_permissions_claim;
    names.subscriber_claim = cfg.auth_subscriber_claim;
    names.publish_claim = cfg.auth_publish_claim;
    names.admin_claim = cfg.auth_admin_claim;
    std::shared_ptr<TokenVerifier> verifier = make_verifier(cfg, names, error);
    if (!verifier) return false;
    if (!cfg.auth_token_key_file.empty()) {
        out->key_path = cfg.auth_token_key_file;
        if (out->key_path.front() != '/')
            out->key_path = (std::filesystem::path(cfg.data_dir) / out->key_path).string();
        std::string key;
        if (!load_or_make_token_key(out->key_path, !check_only, &key, &out->key_made, error))
            return false;
        if (key.empty()) {  // check_only, and not made yet
            // The start makes it once the data directory exists: its folder must
            // be that one or exist already, or the start fails where the check passed.
            namespace fs = std::filesystem;
            auto normal = [](const fs::path& p) {
                fs::path n = p.lexically_normal();
                return n.has_filename() || !n.has_relative_path() ? n : n.parent_path();
            };
            const fs::path folder = normal(fs::path(out->key_path).parent_path());
            std::error_code ec;
            if (folder != normal(fs::path(cfg.data_dir)) && !fs::is_directory(folder, ec)) {
                *error = fmt::format(
                    "auth.token_key_file: cannot make {}: its directory {} does not exist "
                    "(set it to \"\" to turn stream tokens off)",
                    out->key_path, folder.string());
                return false;
            }
            out->verifier = std::move(verifier);
            return true;
        }
        if (!verifier->with_stream_key(key, error)) {
            *error = fmt::format("auth.token_key_file ({}): {}", out->key_path, *error);
            return false;
        }
        out->signer = std::make_shared<StreamTokenSigner>(
            std::move(key), names, cfg.auth_token_ttl_ms / 1000, cfg.auth_token_max_ttl_ms / 1000);
    }
    out->verifier = std::move(verifier);
    return true;
}

}  // namespace ringcast
