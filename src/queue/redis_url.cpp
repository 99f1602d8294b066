#include "queue/redis_url.h"

#include <algorithm>
#include <charconv>

#include "util/error.h"

namespace fluxgen::queue {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes of the userinfo part. `what` names the part in errors (never its text: it may be
// the password).
std::string percent_decode(std::string_view text, std::string_view flag, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    check(hi >= 0 && lo >= 0, flag, ": the ", what, " of the Redis URL has a '%' not followed by two hex digits");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// A whole decimal number in [lo, hi], or -1.
int parse_int(std::string_view text, int lo, int hi) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return -1;
  return v;
}

}  // namespace

std::string RedisUrl::redacted() const {
  std::string out = "redis://";
  if (!user.empty() || !password.empty()) out += user + (password.empty() ? "" : ":***") + "@";
  const bool ipv6 = host.find(':') != std::string::npos;
  out += (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

RedisUrl parse_redis_url(std::string_view url, std::string_view flag) {
  constexpr std::string_view scheme = "redis://";
  // The userinfo is cut off before anything is quoted, so an error can show where the rest went wrong.
  std::string_view rest = url.substr(0, std::min(url.size(), scheme.size()));
  check(rest == scheme, flag, ": a Redis URL starts with redis:// (redis://[:PASSWORD@]HOST[:PORT][/DB])");
  rest = url.substr(scheme.size());
  RedisUrl out;
  // The userinfo ends at the last '@' (a raw '@' in a password is then still understood).
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    out.user = percent_decode(userinfo.substr(0, colon), flag, "user");
    if (colon != std::string_view::npos) out.password = percent_decode(userinfo.substr(colon + 1), flag, "password");
    check(!out.password.empty() || out.user.empty(), flag, ": the Redis URL names a user but no password (redis://USER:PASSWORD@HOST)");
  }
  const std::string where(rest);  // what is quoted from here on: no userinfo
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      out.db = parse_int(db, 0, 15);
      check(out.db >= 0, flag, ": the Redis URL's database '", db, "' (in ", where, ") is not a number from 0 to 15");
    }
  }
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
    const size_t close = hostport.find(']');
    check(close != std::string_view::npos, flag, ": the Redis URL's IPv6 host in ", where, " lacks its ']'");
    out.host = std::string(hostport.substr(1, close - 1));
    const std::string_view after = hostport.substr(close + 1);
    check(after.empty() || after.front() == ':', flag, ": unexpected text after the IPv6 host in ", where);
    if (!after.empty()) {
      port = after.substr(1);
      check(!port.empty(), flag, ": the Redis URL ", where, " has a ':' but no port");
    }
  } else {
    const size_t colon = hostport.find(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      check(!port.empty(), flag, ": the Redis URL ", where, " has a ':' but no port");
    }
  }
  check(!out.host.empty(), flag, ": the Redis URL names no host (redis://HOST[:PORT][/DB])");
  if (!port.empty()) {
    out.port = parse_int(port, 1, 65535);
    check(out.port > 0, flag, ": the Redis URL's port '", port, "' (in ", where, ") is not a number from 1 to 65535");
  }
  return out;
}

}  // namespace fluxgen::queue
