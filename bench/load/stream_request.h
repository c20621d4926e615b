#pragma once
// What a subscriber asks for, in a form both protocols send: as HTTP/1.1
// request text (built once, sent as is) or as the fields of an HTTP/2 HEADERS
// frame (h2_client_session.h).
#include <string>
#include <utility>
#include <vector>

namespace ringcast::load {

struct StreamRequest {
    std::string path;       // with the query: /api/sse/stream?channels=...
    std::string authority;  // Host (HTTP/1.1) or :authority (HTTP/2)
    // Further fields (Accept, Cache-Control, Last-Event-ID), names in lower case.
    std::vector<std::pair<std::string, std::string>> fields;
};

// "GET PATH HTTP/1.1\r\nHost: ...\r\n...\r\n\r\n"
inline std::string http1_request_text(const StreamRequest& r) {
    std::string s = "GET " + r.path + " HTTP/1.1\r\nHost: " + r.authority + "\r\n";
    for (const auto& [name, value] : r.fields)
        s += name + ": " + value + "\r\n";
    s += "\r\n";
    return s;
}

}  // namespace ringcast::load
