// --queue's Redis URL: every part parsed, defaults applied, malformed URLs refused with a message
// naming the problem, and the password never in any message or in the redacted form.
#include <gtest/gtest.h>

#include "queue/queue_name.h"
#include "queue/redis_url.h"
#include "test_support.h"

namespace fluxgen::queue {
namespace {

TEST(RedisUrl, HostAlone) {
  const RedisUrl u = parse_redis_url("redis://127.0.0.1");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.db, 0);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.redacted(), "redis://127.0.0.1:6379/0");
}

TEST(RedisUrl, EveryPart) {
  const RedisUrl u = parse_redis_url("redis://alice:s3cr%40t@cache.local:7000/3");
  EXPECT_EQ(u.host, "cache.local");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.db, 3);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "s3cr@t");
  EXPECT_EQ(u.redacted(), "redis://alice:***@cache.local:7000/3");
}

TEST(RedisUrl, PasswordWithoutUserAndRawAt) {
  const RedisUrl u = parse_redis_url("redis://:p@ss@localhost:6380/");
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.host, "localhost");
  EXPECT_EQ(u.db, 0);
  EXPECT_EQ(u.redacted(), "redis://:***@localhost:6380/0");
}

TEST(RedisUrl, Ipv6Host) {
  const RedisUrl u = parse_redis_url("redis://[::1]:6390/1");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 6390);
  EXPECT_EQ(u.redacted(), "redis://[::1]:6390/1");
}

TEST(RedisUrl, MalformedUrlsAreRefusedWithoutThePassword) {
  const std::string secret = "hunter2secret";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://:" + secret + "@h", "starts with redis://"},
      {"redis://:" + secret + "@", "names no host"},
      {"redis://:" + secret + "@h:0", "port '0'"},
      {"redis://:" + secret + "@h:99999", "port '99999'"},
      {"redis://:" + secret + "@h:12ab", "port '12ab'"},
      {"redis://:" + secret + "@h:", "has a ':' but no port"},
      {"redis://:" + secret + "@h/16", "database '16'"},
      {"redis://:" + secret + "@h/x", "database 'x'"},
      {"redis://:" + secret + "%zz@h", "two hex digits"},
      {"redis://alice@h", "names a user but no password"},
      {"redis://:" + secret + "@[::1", "lacks its ']'"},
  };
  for (const auto& [url, expected] : cases) {
    const std::string message = test::error_of([&] { parse_redis_url(url, "--queue"); });
    EXPECT_NE(message.find(expected), std::string::npos) << url << " -> " << message;
    EXPECT_NE(message.find("--queue"), std::string::npos) << message;
    EXPECT_EQ(message.find(secret), std::string::npos) << "the password leaked: " << message;
  }
}

TEST(RedisUrl, QueueNames) {
  EXPECT_TRUE(valid_queue_name("fluxgen"));
  EXPECT_TRUE(valid_queue_name("team-a:flux_1.dev"));
  EXPECT_FALSE(valid_queue_name(""));
  EXPECT_FALSE(valid_queue_name("has space"));
  EXPECT_FALSE(valid_queue_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace fluxgen::queue
