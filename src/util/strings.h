// Small string helpers shared by parsers and the command line.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);
std::string trim(std::string_view s);
// Python's html.escape: & < > " ' as entities (' as &#x27;), for text inside HTML elements and
// quoted attributes.
std::string html_escape(std::string_view text);
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// "[3072, 64]" for shapes in messages.
std::string shape_string(const std::vector<int64_t>& shape);
// Human-readable byte count: "11.9 GiB".
std::string format_bytes(uint64_t bytes);

}  // namespace fluxgen
