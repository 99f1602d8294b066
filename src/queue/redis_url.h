// Where the Redis job queue lives: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], the form redis-cli
// and most client libraries accept. The password is a secret: nothing this parser produces for
// people (its errors, redacted()) ever contains it, so a URL can be logged and quoted in errors.
#pragma once
#include <string>
#include <string_view>

namespace fluxgen::queue {

struct RedisUrl {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone (the "default" user)
  std::string password;  // empty: no AUTH

  // The URL with any password shown as "***": safe for logs and error messages.
  std::string redacted() const;
};

// Throws fluxgen::Error naming the flag and the problem (never the password) for another scheme, an
// empty host, a port outside 1..65535, a DB that is not a number in 0..15 or a broken %-escape.
// User and password may be %-encoded (a password holding '@' or '/').
RedisUrl parse_redis_url(std::string_view url, std::string_view flag = "--queue");

}  // namespace fluxgen::queue
