// The keys of a map in its order: what the tensor stores that index their tensors by name in a
// std::map return from names().
#pragma once

#include <string>
#include <vector>

namespace fluxgen {

template <typename Map>
std::vector<std::string> map_keys(const Map& map) {
  std::vector<std::string> out;
  out.reserve(map.size());
  for (const auto& entry : map) out.push_back(entry.first);
  return out;
}

}  // namespace fluxgen
