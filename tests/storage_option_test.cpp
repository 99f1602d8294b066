// The storage labels a user gives (nn/storage_option.h): Forge's spellings, fluxgen's names, the
// LoRA-mode suffixes and the error for anything else.
#include <gtest/gtest.h>

#include "nn/storage_option.h"
#include "test_support.h"

namespace fluxgen {
namespace {

TEST(StorageOption, ForgeLabelsAndSuffixesParseAndRoundTrip) {
  const StorageOption nf4 = parse_storage_option("bnb-nf4 (fp16 LoRA)");
  EXPECT_EQ(nf4.dtype, DType::NF4);
  EXPECT_EQ(nf4.lora_mode, LoraMode::Online);
  EXPECT_EQ(nf4.label, "bnb-nf4 (fp16 LoRA)");
  const StorageOption fp8 = parse_storage_option("  FP8  ");
  EXPECT_EQ(fp8.dtype, DType::F8_E4M3);
  EXPECT_EQ(fp8.lora_mode, LoraMode::Merged);
  EXPECT_EQ(fp8.label, "float8-e4m3fn");
  const StorageOption automatic = parse_storage_option("Automatic");
  EXPECT_FALSE(automatic.dtype.has_value());
  EXPECT_EQ(automatic.lora_mode, LoraMode::Merged);
  // fluxgen's "(merged LoRA)": merged into GGUF layers too.
  const StorageOption requantize = parse_storage_option("Automatic (merged LoRA)");
  EXPECT_FALSE(requantize.dtype.has_value());
  EXPECT_EQ(requantize.lora_mode, LoraMode::Requantize);
  EXPECT_EQ(requantize.label, "Automatic (merged LoRA)");
  EXPECT_EQ(parse_storage_option(requantize.label).lora_mode, LoraMode::Requantize);
  EXPECT_EQ(forge_storage_label(DType::F8_E5M2, LoraMode::Online), "float8-e5m2 (fp16 LoRA)");
}

TEST(StorageOption, UnknownNamesListTheAcceptedOnes) {
  const std::string err = test::error_of([] { parse_storage_option("q4_k_m"); });
  EXPECT_NE(err.find("unknown weight storage \"q4_k_m\""), std::string::npos) << err;
  EXPECT_NE(err.find("(merged LoRA)"), std::string::npos) << err;
  EXPECT_NE(test::error_of([] { parse_storage_option("nf4 (fp16 LoRA) (merged LoRA)"); }), "(no error)");
}

}  // namespace
}  // namespace fluxgen
