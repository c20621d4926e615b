#pragma once
// The Content-Type of a page's file, from its name: the same for the embedded
// pages and a web root. Every answer also says nosniff, so a browser takes the
// type as given: a name this does not know is application/octet-stream.
#include <string_view>

namespace ringcast {

std::string_view content_type_for(std::string_view path);

}  // namespace ringcast
