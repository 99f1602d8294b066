#include "pipeline/file_hashes.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "io/json.h"
#include "io/mapped_file.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

HashCache::HashCache(std::string cache_file) : file_(std::move(cache_file)) {
  if (!file_.empty()) return;
  if (const char* d = std::getenv("FLUXGEN_CACHE_DIR"); d && *d) {
    file_ = std::string(d) + "/hashes.json";
  } else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    file_ = std::string(x) + "/fluxgen/hashes.json";
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    file_ = std::string(h) + "/.cache/fluxgen/hashes.json";
  }
}

void HashCache::load() {
  loaded_ = true;
  if (file_.empty()) return;
  std::error_code ec;
  if (!fs::exists(file_, ec)) return;
  try {
    const json::Value v = json::parse(read_text_file(file_), file_);
    for (const auto& [k, d] : v.as_object())
      if (d.is_string()) entries_[k] = d.as_string();
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: ignoring the hash cache: %s\n", e.what());
  }
}

void HashCache::save() {
  if (file_.empty()) return;
  try {
    std::error_code ec;
    fs::create_directories(fs::path(file_).parent_path(), ec);
    json::Value v = json::Value::object();
    for (const auto& [k, d] : entries_) v[k] = d;
    const std::string text = v.dump(1);
    write_file_atomically(file_, text.data(), text.size());
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: cannot save the hash cache: %s\n", e.what());
  }
}

std::string HashCache::sha256(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) load();
  return sha256_locked(path);
}

std::optional<std::string> HashCache::cache_key(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::error_code ec;
  return fs::absolute(path, ec).string() + "|" + std::to_string(st.st_size) + "|" +
         std::to_string(static_cast<long long>(st.st_mtime));
}

std::optional<std::string> HashCache::cached_sha256(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!loaded_) load();
  const std::optional<std::string> key = cache_key(path);
  if (!key) return std::nullopt;
  const auto it = entries_.find(*key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::string HashCache::sha256_locked(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> shards;
    for (const auto& e : fs::directory_iterator(path, ec))
      if (ends_with(to_lower(e.path().string()), ".safetensors")) shards.push_back(e.path().string());
    std::sort(shards.begin(), shards.end());
    std::string all;
    for (const auto& s : shards) all += sha256_locked(s);
    return sha256_hex(all.data(), all.size());
  }
  const std::optional<std::string> key_or = cache_key(path);
  if (!key_or) fail(path, ": cannot read to hash it");
  const std::string& key = *key_or;
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && st.st_size > (int64_t(1) << 30))
    std::fprintf(stderr, "hashing %s for the infotext (once; cached in %s)...\n", path.c_str(), file_.c_str());
  const std::string digest = sha256_file(path);
  entries_[key] = digest;
  save();
  return digest;
}

}  // namespace fluxgen
