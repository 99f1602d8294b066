#include "server/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace fluxgen::server::redis {

namespace {

timeval to_timeval(std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  return tv;
}

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::String;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::Status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::Integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::Array;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::Nil;
  }
  return out;
}

}  // namespace

RedisConnection::RedisConnection(const queue::RedisUrl& url, std::chrono::milliseconds timeout)
    : timeout_(timeout), where_(url.redacted()) {
  context_ = redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(timeout));
  if (!context_) throw RedisUnavailable("cannot reach Redis at " + where_ + ": out of memory");
  if (context_->err) {
    const std::string reason = context_->errstr;
    redisFree(context_);
    context_ = nullptr;
    throw RedisUnavailable("cannot reach Redis at " + where_ + ": " + reason);
  }
  set_timeout(timeout_);
  try {
    if (!url.password.empty()) {
      std::vector<std::string> auth = {"AUTH"};
      if (!url.user.empty()) auth.push_back(url.user);
      auth.push_back(url.password);
      command(auth);
    }
    if (url.db != 0) command({"SELECT", std::to_string(url.db)});
    // A server that asks for a password tells so here rather than at the first queue command.
    command({"PING"});
  } catch (const RedisCommandError& e) {
    redisFree(context_);
    context_ = nullptr;
    throw RedisCommandError("Redis at " + where_ + " refused the connection: " + e.what());
  } catch (...) {
    if (context_) redisFree(context_);
    context_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (context_) redisFree(context_);
}

void RedisConnection::set_timeout(std::chrono::milliseconds t) {
  if (redisSetTimeout(context_, to_timeval(t)) != REDIS_OK) broken("setting the socket timeout");
}

void RedisConnection::broken(const std::string& during) {
  std::string reason = context_ && context_->errstr[0] ? context_->errstr : "connection lost";
  if (context_ && context_->err == REDIS_ERR_IO && reason.find("Resource temporarily unavailable") != std::string::npos)
    reason = "no answer within " + std::to_string(timeout_.count()) + " ms";
  if (context_) redisFree(context_);
  context_ = nullptr;
  throw RedisUnavailable("Redis at " + where_ + " failed while " + during + ": " + reason);
}

RedisReply RedisConnection::command(const std::vector<std::string>& args) {
  if (!context_) throw RedisUnavailable("the connection to Redis at " + where_ + " is closed");
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (!reply) broken("running " + (args.empty() ? std::string("a command") : args[0]));
  std::unique_ptr<redisReply, void (*)(void*)> owned(reply, freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR)
    throw RedisCommandError(args[0] + ": " + std::string(reply->str, reply->len));
  return copy_reply(reply);
}

RedisReply RedisConnection::blocking_command(const std::vector<std::string>& args, std::chrono::milliseconds block) {
  if (!context_) throw RedisUnavailable("the connection to Redis at " + where_ + " is closed");
  set_timeout(timeout_ + block);
  try {
    RedisReply r = command(args);
    set_timeout(timeout_);
    return r;
  } catch (const RedisCommandError&) {
    set_timeout(timeout_);
    throw;
  }
}

}  // namespace fluxgen::server::redis
