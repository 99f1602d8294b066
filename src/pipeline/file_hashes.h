// A1111's file hashes for infotexts ("Model hash": the first 10 hex digits of the file's sha256,
// "Lora hashes": the first 12). Hashing a 24 GB checkpoint takes a minute, so full digests are
// cached in a JSON file keyed by path, size and modification time, as A1111 does in cache.json.
#pragma once
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace fluxgen {

class HashCache {
 public:
  // cache_file "" = $FLUXGEN_CACHE_DIR/hashes.json, else $XDG_CACHE_HOME/fluxgen/hashes.json,
  // else ~/.cache/fluxgen/hashes.json. A missing or unreadable cache starts empty.
  explicit HashCache(std::string cache_file = "");
  // The sha256 of a file (or, for a folder of shards, of its sorted .safetensors files' digests).
  std::string sha256(const std::string& path);
  std::string short_hash(const std::string& path, size_t digits) { return sha256(path).substr(0, digits); }
  // The digest when it is already known (cached for the file's current size and time), without
  // reading the file: listings show hashes as A1111 does, only once a file has been hashed.
  std::optional<std::string> cached_sha256(const std::string& path);

 private:
  std::mutex mu_;
  std::string file_;
  std::map<std::string, std::string> entries_;  // "path|size|mtime" -> digest
  bool loaded_ = false;
  std::string sha256_locked(const std::string& path);
  std::optional<std::string> cache_key(const std::string& path) const;
  void load();
  void save();
};

}  // namespace fluxgen
