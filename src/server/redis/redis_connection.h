// One connection to Redis over hiredis, for the job queue: commands as argument vectors (binary
// safe: PNG bytes and JSON travel as they are), every wait bounded by a timeout, and failures as
// two kinds of error a caller can tell apart: the server is unreachable or the connection broke
// (RedisUnavailable: retry or answer 503), or Redis refused a command (RedisCommandError). Messages
// name the server by its redacted URL; the password is sent (AUTH) but never printed.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "queue/redis_url.h"
#include "util/error.h"

struct redisContext;

namespace fluxgen::server::redis {

class RedisUnavailable : public Error {
 public:
  explicit RedisUnavailable(const std::string& message) : Error(message) {}
};

class RedisCommandError : public Error {
 public:
  explicit RedisCommandError(const std::string& message) : Error(message) {}
};

// A reply, copied out of hiredis's tree.
struct RedisReply {
  enum class Type { Nil, String, Integer, Array, Status };
  Type type = Type::Nil;
  std::string str;  // String and Status
  long long integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::Nil; }
  // The element's text, "" for nil (fields of a reply read this way).
  const std::string& text() const { return str; }
};

class RedisConnection {
 public:
  // Connects, authenticates and selects the URL's DB within `timeout`, which also bounds every
  // command's reads and writes. Throws RedisUnavailable (and RedisCommandError for a wrong password).
  RedisConnection(const queue::RedisUrl& url, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  RedisReply command(const std::vector<std::string>& args);
  // A command that blocks in Redis for up to `block` (BLPOP, XREADGROUP BLOCK): the socket's read
  // timeout is stretched by `block` for this call.
  RedisReply blocking_command(const std::vector<std::string>& args, std::chrono::milliseconds block);

  // False once an I/O error broke the connection; a new one must be made.
  bool usable() const { return context_ != nullptr; }
  const std::string& where() const { return where_; }

 private:
  void set_timeout(std::chrono::milliseconds t);
  [[noreturn]] void broken(const std::string& during);

  redisContext* context_ = nullptr;
  std::chrono::milliseconds timeout_;
  std::string where_;  // the redacted URL
};

}  // namespace fluxgen::server::redis
