// The name of a Redis job queue (--queue-name): the prefix of every key the queue uses, so it is
// kept to characters that read well in redis-cli and cannot collide with the ':' separators'
// meaning by accident of whitespace or control bytes.
#pragma once
#include <algorithm>
#include <cctype>
#include <string_view>

namespace fluxgen {

inline bool valid_queue_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

}  // namespace fluxgen
