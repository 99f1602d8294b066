// Command-line options shared by `fluxgen eval clip` and `fluxgen eval t5`.
#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tensor/dtype.h"

namespace fluxgen::cli {

struct TextEncoderEvalOptions {
  std::string weights, inputs, output, storage = "auto";
  // The --storage choice as a dtype (nullopt: as in the file).
  std::optional<DType> storage_dtype() const;
};

// Adds the `name` subcommand to `eval` with --weights, --inputs, --output and --storage.
CLI::App* add_text_encoder_eval(CLI::App& eval, const char* name, const char* help, TextEncoderEvalOptions& opt);

}  // namespace fluxgen::cli
