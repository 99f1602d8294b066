// The prompts of tests/fixtures/tokens.json with their golden ids, for the tokenizer tests.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/mapped_file.h"
#include "test_support.h"

namespace fluxgen::test {

struct TokenRow {
  std::string prompt;
  std::vector<int32_t> clip_77, clip_raw, t5_512, t5_raw;
};

inline std::vector<int32_t> int_list(const json::Value& v) {
  std::vector<int32_t> out;
  for (const auto& x : v.as_array()) out.push_back(static_cast<int32_t>(x.as_int()));
  return out;
}

inline std::vector<TokenRow> token_rows() {
  const json::Value doc = json::parse(read_text_file(fixture("tokens.json")), "tokens.json");
  std::vector<TokenRow> rows;
  for (const auto& r : doc.at("rows").as_array())
    rows.push_back({r.at("prompt").as_string(), int_list(r.at("clip_77")), int_list(r.at("clip_raw")),
                    int_list(r.at("t5_512")), int_list(r.at("t5_raw"))});
  return rows;
}

// tests/data/token_goldens.json (tools/gen_token_goldens.py): awkward prompts with the ids of
// OpenAI's CLIP tokenizer (ftfy included) and of libsentencepiece; clip_77/t5_512 are left empty.
inline std::vector<TokenRow> extra_token_rows() {
  const std::string path = std::string(FLUXGEN_TEST_FIXTURES) + "/../data/token_goldens.json";
  const json::Value doc = json::parse(read_text_file(path), path);
  std::vector<TokenRow> rows;
  for (const auto& r : doc.at("rows").as_array())
    rows.push_back({r.at("prompt").as_string(), {}, int_list(r.at("clip_raw")), {}, int_list(r.at("t5_raw"))});
  return rows;
}

}  // namespace fluxgen::test
