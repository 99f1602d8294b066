// fluxgen's own JSON parser and writer: valid documents, escapes and surrogate pairs, numbers at
// the edges of int64 and double, the nesting limit, every malformed case with its byte offset,
// and dump/parse round trips.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "io/json.h"
#include "util/error.h"

namespace fluxgen {
namespace {

// The message of the Error thrown by parsing `text`, or "" when it parses.
std::string parse_error(std::string_view text, json::ParseLimits limits = {}) {
  try {
    json::parse(text, "doc.json", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonParse, ObjectsArraysAndLiterals) {
  const json::Value v = json::parse(
      " {\"name\": \"flux\", \"n\": 19, \"ok\": true, \"no\": false, \"nothing\": null,\n"
      "  \"list\": [1, [2, []], {}], \"obj\": {\"a\": {\"b\": [\"c\"]}}}\t\r\n");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.size(), 7u);
  EXPECT_EQ(v.at("name").as_string(), "flux");
  EXPECT_EQ(v.at("n").as_int(), 19);
  EXPECT_TRUE(v.at("ok").as_bool());
  EXPECT_FALSE(v.at("no").as_bool());
  EXPECT_TRUE(v.at("nothing").is_null());
  EXPECT_EQ(v.at("list").size(), 3u);
  EXPECT_EQ(v.at("list").at(1).at(0).as_int(), 2);
  EXPECT_TRUE(v.at("list").at(1).at(1).is_array());
  EXPECT_TRUE(v.at("list").at(2).is_object());
  EXPECT_EQ(v.at("obj").at("a").at("b").at(0).as_string(), "c");
  // Keys keep document order.
  EXPECT_EQ(v.as_object().front().first, "name");
  EXPECT_EQ(v.as_object().back().first, "obj");
  // Lookups and defaults.
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_FALSE(v.contains("missing"));
  EXPECT_EQ(v.int_or("n", 3), 19);
  EXPECT_EQ(v.int_or("missing", 3), 3);
  EXPECT_EQ(v.int_or("nothing", 3), 3);
  EXPECT_EQ(v.string_or("name", "x"), "flux");
  EXPECT_EQ(v.bool_or("missing", true), true);
  EXPECT_DOUBLE_EQ(v.number_or("n", 0.5), 19.0);
  EXPECT_THROW(v.at("missing"), Error);
  EXPECT_THROW(v.at("list").at(3), Error);
  // Scalars at the top level.
  EXPECT_EQ(json::parse("\"s\"").as_string(), "s");
  EXPECT_EQ(json::parse("  42 ").as_int(), 42);
  EXPECT_TRUE(json::parse("null").is_null());
}

TEST(JsonParse, DuplicateKeysAreKeptForCallersToJudge) {
  // safetensors refuses duplicate tensor names itself; the parser keeps both entries.
  const json::Value v = json::parse(R"({"a": 1, "a": 2})");
  ASSERT_EQ(v.as_object().size(), 2u);
  EXPECT_EQ(v.at("a").as_int(), 1);
}

TEST(JsonParse, TypeErrorsNameBothTypes) {
  const json::Value v = json::parse(R"({"n": 1.5, "s": "x"})");
  try {
    (void)v.at("n").as_string();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "JSON: expected string, found number");
  }
  EXPECT_THROW((void)v.at("s").as_int(), Error);
  EXPECT_THROW((void)v.at("n").as_int(), Error);  // 1.5 is not an integer
  EXPECT_THROW((void)v.at("s").as_array(), Error);
  EXPECT_THROW((void)v.as_bool(), Error);
  EXPECT_THROW((void)v.at("s").as_object(), Error);
}

TEST(JsonStrings, EscapesAndUnicode) {
  EXPECT_EQ(json::parse(R"("\" \\ \/ \b \f \n \r \t")").as_string(), "\" \\ / \b \f \n \r \t");
  EXPECT_EQ(json::parse(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(json::parse(R"("\u0000")").as_string(), std::string(1, '\0'));
  // A surrogate pair is one code point (U+1F600), four UTF-8 bytes.
  EXPECT_EQ(json::parse(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(json::parse(R"("\uD800\uDC00")").as_string(), "\xF0\x90\x80\x80");  // U+10000
  EXPECT_EQ(json::parse(R"("\uDBFF\uDFFF")").as_string(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
  // Lone surrogates become U+FFFD; a high surrogate followed by another escape keeps that one.
  EXPECT_EQ(json::parse(R"("\ud83d")").as_string(), "\xEF\xBF\xBD");
  EXPECT_EQ(json::parse(R"("\ude00x")").as_string(), "\xEF\xBF\xBDx");
  EXPECT_EQ(json::parse(R"("\ud83d\u0041")").as_string(), "\xEF\xBF\xBD" "A");
  EXPECT_EQ(json::parse(R"("\ud83dA")").as_string(), "\xEF\xBF\xBD" "A");
  // Raw UTF-8 passes through untouched.
  EXPECT_EQ(json::parse("\"caf\xC3\xA9 \xE6\x97\xA5\"").as_string(), "caf\xC3\xA9 \xE6\x97\xA5");
}

TEST(JsonNumbers, IntegersAreExactOverTheWholeInt64Range) {
  const json::Value max = json::parse("9223372036854775807");
  ASSERT_TRUE(max.is_integer());
  EXPECT_EQ(max.as_int(), INT64_MAX);
  const json::Value min = json::parse("-9223372036854775808");
  ASSERT_TRUE(min.is_integer());
  EXPECT_EQ(min.as_int(), INT64_MIN);
  // 2^53 + 1 is not a double; as int64 it stays exact (tensor offsets past 8 PiB would need it).
  EXPECT_EQ(json::parse("9007199254740993").as_int(), 9007199254740993LL);
  // One past int64: a number, no longer an integer.
  const json::Value over = json::parse("9223372036854775808");
  EXPECT_TRUE(over.is_number());
  EXPECT_FALSE(over.is_integer());
  EXPECT_DOUBLE_EQ(over.as_number(), 9223372036854775808.0);
  EXPECT_THROW((void)over.as_int(), Error);
  EXPECT_FALSE(json::parse("-9223372036854775809").is_integer());
  EXPECT_EQ(json::parse("0").as_int(), 0);
  EXPECT_EQ(json::parse("-0").as_int(), 0);
  EXPECT_EQ(json::parse("-17").as_int(), -17);
}

TEST(JsonNumbers, FractionsExponentsAndOutOfRange) {
  EXPECT_DOUBLE_EQ(json::parse("1.5").as_number(), 1.5);
  EXPECT_DOUBLE_EQ(json::parse("-1.5e3").as_number(), -1500.0);
  EXPECT_DOUBLE_EQ(json::parse("1E+2").as_number(), 100.0);
  EXPECT_DOUBLE_EQ(json::parse("25e-2").as_number(), 0.25);
  EXPECT_EQ(json::parse("0.1").as_number(), 0.1);
  EXPECT_EQ(json::parse("1.7976931348623157e308").as_number(), std::numeric_limits<double>::max());
  EXPECT_EQ(json::parse("4.9406564584124654e-324").as_number(), std::numeric_limits<double>::denorm_min());
  EXPECT_FALSE(json::parse("1.0").is_integer());
  EXPECT_FALSE(json::parse("1e2").is_integer());
  EXPECT_EQ(json::parse("4.0").as_int(), 4);  // integral doubles are accepted where ints are read
  // Beyond double: too large is ±infinity, too small is ±0 (not infinity).
  EXPECT_EQ(json::parse("1e400").as_number(), HUGE_VAL);
  EXPECT_EQ(json::parse("-1e400").as_number(), -HUGE_VAL);
  EXPECT_EQ(json::parse("1" + std::string(400, '0')).as_number(), HUGE_VAL);
  EXPECT_EQ(json::parse("1e-400").as_number(), 0.0);
  const double neg_tiny = json::parse("-1e-400").as_number();
  EXPECT_EQ(neg_tiny, 0.0);
  EXPECT_TRUE(std::signbit(neg_tiny));
  EXPECT_EQ(json::parse("0." + std::string(400, '0') + "1").as_number(), 0.0);
  EXPECT_EQ(json::parse("123456e-330").as_number(), 0.0);
  EXPECT_EQ(json::parse("0.000001e304").as_number(), 1e298);
  EXPECT_EQ(json::parse("0.000001e315").as_number(), HUGE_VAL);
  EXPECT_EQ(json::parse("1e99999999999999999999999").as_number(), HUGE_VAL);
  EXPECT_EQ(json::parse("1e-99999999999999999999999").as_number(), 0.0);
}

TEST(JsonLimits, NestingDepthIsBounded) {
  json::ParseLimits four{4, 1 << 20};
  EXPECT_EQ(parse_error("[[[[[]]]]]", four), "");  // depths 0..4
  EXPECT_EQ(parse_error("[[[[[[]]]]]]", four), "doc.json: JSON error at byte 5: nesting deeper than 4");
  EXPECT_EQ(parse_error(R"({"a":{"b":{"c":{"d":{"e":1}}}}})", four),
            "doc.json: JSON error at byte 25: nesting deeper than 4");
  // The default limit stops a hostile document long before the stack would overflow.
  const std::string deep(200000, '[');
  EXPECT_NE(parse_error(deep).find("nesting deeper than 128"), std::string::npos);
  std::string ok = std::string(128, '[') + std::string(128, ']');
  EXPECT_EQ(parse_error(ok), "");
}

TEST(JsonLimits, DocumentSizeIsBounded) {
  EXPECT_EQ(parse_error("[1, 2, 3]", {128, 9}), "");
  EXPECT_EQ(parse_error("[1, 2, 3] ", {128, 9}), "doc.json: JSON error at byte 0: document of 10 bytes is too large");
}

struct Malformed {
  const char* text;
  const char* message;  // expected, after "doc.json: JSON error at byte "
};

TEST(JsonMalformed, EveryErrorNamesTheDocumentAndTheByteOffset) {
  const Malformed cases[] = {
      {"", "0: unexpected end of input"},
      {"   ", "3: unexpected end of input"},
      {"{", "1: unexpected end of input"},
      {"[", "1: unexpected end of input"},
      {"[1", "2: unexpected end of input"},
      {"[1,", "3: unexpected end of input"},
      {"[1,]", "3: unexpected character ']'"},
      {"[1 2]", "3: expected ',' or ']'"},
      {"{\"a\" 1}", "5: expected ':'"},
      {"{\"a\":1 \"b\":2}", "7: expected ',' or '}'"},
      {"{1:2}", "1: expected a string key"},
      {"{\"a\":1,}", "7: expected a string key"},
      {"{\"a\":}", "5: unexpected character '}'"},
      {"tru", "0: invalid literal"},
      {"nul", "0: invalid literal"},
      {"True", "0: unexpected character 'T'"},
      {"falsy", "0: invalid literal"},
      {"truex", "4: unexpected data after the JSON value"},
      {"[1] x", "4: unexpected data after the JSON value"},
      {"{} {}", "3: unexpected data after the JSON value"},
      {"\"abc", "4: unterminated string"},
      {"\"a\\", "3: unterminated escape"},
      {"\"a\\x\"", "3: invalid escape '\\x'"},
      {"\"\\u12G4\"", "5: invalid hex digit in \\u escape"},
      {"\"\\u12\"", "3: truncated \\u escape"},
      {"\"a\nb\"", "2: control character in string"},
      {"\"tab\there\"", "4: control character in string"},
      {"01", "1: unexpected data after the JSON value"},
      {"-", "1: invalid number"},
      {"-a", "1: invalid number"},
      {"1.", "2: invalid number"},
      {"1.e5", "2: invalid number"},
      {"1e", "2: invalid number"},
      {"1e+", "3: invalid number"},
      {".5", "0: unexpected character '.'"},
      {"+1", "0: unexpected character '+'"},
      {"NaN", "0: unexpected character 'N'"},
      {"Infinity", "0: unexpected character 'I'"},
      {"'single'", "0: unexpected character '''"},
      {"[1,,2]", "3: unexpected character ','"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(parse_error(c.text), std::string("doc.json: JSON error at byte ") + c.message) << "input: " << c.text;
  }
}

TEST(JsonDump, CompactAndIndentedRoundTrip) {
  json::Value doc = json::Value::object();
  doc["int"] = int64_t{-9223372036854775807LL - 1};
  doc["big"] = uint64_t{18446744073709551615ULL};  // beyond int64: written as a double
  doc["pi"] = 3.141592653589793;
  doc["tenth"] = 0.1;
  doc["tiny"] = 5e-324;
  doc["str"] = "quote \" backslash \\ newline \n ctrl \x01 utf8 \xC3\xA9";
  doc["arr"] = json::Value(json::Array{1, "two", nullptr, true, json::Value::array(), json::Value::object()});
  doc["nested"]["deeper"]["x"] = 1;
  const std::string compact = doc.dump();
  const std::string pretty = doc.dump(2);
  EXPECT_EQ(compact.find('\n'), std::string::npos);
  EXPECT_NE(pretty.find("\n  \"int\": -9223372036854775808"), std::string::npos) << pretty;
  EXPECT_NE(compact.find(R"("tenth":0.1,)"), std::string::npos) << compact;
  EXPECT_NE(compact.find(R"(ctrl \u0001)"), std::string::npos) << compact;
  for (const std::string& text : {compact, pretty}) {
    const json::Value back = json::parse(text);
    EXPECT_EQ(back.dump(), compact);
    EXPECT_EQ(back.at("int").as_int(), INT64_MIN);
    EXPECT_EQ(back.at("pi").as_number(), 3.141592653589793);
    EXPECT_EQ(back.at("tiny").as_number(), 5e-324);
    EXPECT_EQ(back.at("big").as_number(), 18446744073709551615.0);
    EXPECT_EQ(back.at("str").as_string(), doc.at("str").as_string());
    EXPECT_EQ(back.at("nested").at("deeper").at("x").as_int(), 1);
  }
  // Integral doubles stay doubles (and -0.0 keeps its sign) through dump and parse.
  json::Value d = json::Value::array();
  d.push_back(4.0);
  d.push_back(-0.0);
  d.push_back(1e21);
  d.push_back(int64_t{4});
  EXPECT_EQ(d.dump(), "[4.0,-0.0,1e+21,4]");
  const json::Value d2 = json::parse(d.dump());
  EXPECT_FALSE(d2.at(0).is_integer());
  EXPECT_TRUE(std::signbit(d2.at(1).as_number()));
  EXPECT_TRUE(d2.at(3).is_integer());
  EXPECT_EQ(d2.dump(), d.dump());
  // JSON has no NaN or infinity: they are written as null.
  json::Value special = json::Value::array();
  special.push_back(std::nan(""));
  special.push_back(HUGE_VAL);
  EXPECT_EQ(special.dump(), "[null,null]");
  EXPECT_EQ(json::quote("a\"b"), R"("a\"b")");
  EXPECT_EQ(json::Value::object().dump(2), "{}");
  EXPECT_EQ(json::Value::array().dump(2), "[]");
}

TEST(JsonValue, CopiesAreIndependentAfterMutation) {
  json::Value a = json::parse(R"({"list": [1, 2], "o": {"k": "v"}})");
  json::Value b = a;
  b["o"]["k"] = "changed";
  b["list"].push_back(3);
  b["new"] = 1;
  EXPECT_EQ(a.dump(), R"({"list":[1,2],"o":{"k":"v"}})");
  EXPECT_EQ(b.dump(), R"({"list":[1,2,3],"o":{"k":"changed"},"new":1})");
  json::Value n;  // null becomes an object / array on first use
  n["x"] = 1;
  EXPECT_TRUE(n.is_object());
  json::Value arr;
  arr.push_back(1);
  EXPECT_TRUE(arr.is_array());
  json::Value s = "text";
  EXPECT_THROW(s["x"], Error);
  EXPECT_THROW(s.push_back(1), Error);
}

}  // namespace
}  // namespace fluxgen
