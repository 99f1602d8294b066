#include "server/redis/job_stream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

namespace fluxgen::server::redis {

std::string new_job_id() {
  std::random_device rd;
  std::string id;
  char buf[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rd()));
    id += buf;
  }
  return id;
}

JobMessage parse_job_message(const RedisReply& entry, const std::string& stream) {
  check(entry.elements.size() == 2 && entry.elements[1].type == RedisReply::Type::Array,
        "job queue: a stream entry is not [id, fields]");
  JobMessage m;
  m.stream = stream;
  m.entry_id = entry.elements[0].text();
  const auto& fields = entry.elements[1].elements;
  bool has_id = false, has_body = false, has_mode = false;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& k = fields[i].text();
    const std::string& v = fields[i + 1].text();
    if (k == "id") m.id = v, has_id = true;
    else if (k == "mode") m.mode = v, has_mode = true;
    else if (k == "body") m.body = v, has_body = true;
    else if (k == "options") m.options = v;
    else if (k == "ttl") m.ttl_s = std::max(1, std::atoi(v.c_str()));
  }
  check(has_id && has_body && has_mode, "job queue: stream entry ", m.entry_id, " of ", stream,
        " lacks its id, mode or body field");
  return m;
}

std::string job_model_key(const std::string& checkpoint) {
  std::string path = checkpoint;
  while (path.size() > 1 && path.back() == '/') path.pop_back();  // a diffusers folder given as "dir/"
  if (path.empty()) return "";
  return std::filesystem::path(path).stem().string();
}

void ensure_group(RedisConnection& redis, const std::string& stream) {
  try {
    // From the stream's start: jobs added before the first worker came are theirs too.
    redis.command({"XGROUP", "CREATE", stream, kWorkerGroup, "0", "MKSTREAM"});
  } catch (const RedisCommandError& e) {
    if (std::string(e.what()).find("BUSYGROUP") == std::string::npos) throw;
  }
}

void register_stream(RedisConnection& redis, const QueueKeys& keys, const std::string& stream) {
  ensure_group(redis, stream);
  if (redis.command({"SADD", keys.streams(), stream}).integer == 1)
    redis.command({"XADD", keys.new_streams(), "MAXLEN", "~", "1000", "*", "stream", stream});
}

std::vector<std::string> job_streams(RedisConnection& redis, const QueueKeys& keys) {
  std::vector<std::string> out;
  for (const RedisReply& s : redis.command({"SMEMBERS", keys.streams()}).elements)
    if (s.text() != keys.jobs()) out.push_back(s.text());
  std::sort(out.begin(), out.end());
  out.insert(out.begin(), keys.jobs());
  return out;
}

json::Value read_hash(RedisConnection& redis, const std::string& key) {
  const RedisReply r = redis.command({"HGETALL", key});
  json::Value out = json::Value::object();
  for (size_t i = 0; i + 1 < r.elements.size(); i += 2) out[r.elements[i].text()] = r.elements[i + 1].text();
  return out;
}

long long waiting_jobs(RedisConnection& redis, const std::string& stream) {
  const long long length = redis.command({"XLEN", stream}).integer;
  long long pending = 0;
  try {
    const RedisReply p = redis.command({"XPENDING", stream, kWorkerGroup});
    if (!p.elements.empty()) pending = p.elements[0].integer;
  } catch (const RedisCommandError&) {
    // No group yet: no worker has ever come, nothing was delivered.
  }
  return std::max(0LL, length - pending);
}

std::vector<std::pair<std::string, long long>> waiting_by_stream(RedisConnection& redis, const QueueKeys& keys) {
  std::vector<std::pair<std::string, long long>> out;
  for (const std::string& stream : job_streams(redis, keys)) out.emplace_back(stream, waiting_jobs(redis, stream));
  return out;
}

long long waiting_jobs(RedisConnection& redis, const QueueKeys& keys) {
  long long n = 0;
  for (const auto& [stream, waiting] : waiting_by_stream(redis, keys)) n += waiting;
  return n;
}

bool publish_result(RedisConnection& redis, const QueueKeys& keys, const std::string& id, const json::Value& result,
                    const std::string& state, int ttl_s) {
  const std::string ttl = std::to_string(ttl_s);
  const RedisReply set = redis.command({"SET", keys.result(id), result.dump(), "NX", "EX", ttl});
  if (set.is_nil()) return false;  // another worker's result came first
  redis.command({"HSET", keys.job(id), "state", state});
  redis.command({"EXPIRE", keys.job(id), ttl});
  redis.command({"SREM", keys.running(), id});
  redis.command({"RPUSH", keys.done(id), "1"});
  redis.command({"EXPIRE", keys.done(id), ttl});
  return true;
}

}  // namespace fluxgen::server::redis
