// The list of `fluxgen eval` entry points. Each model adds one registration function here
// (declared below, defined in its own src/cli/eval_<model>.cpp).
#pragma once
#include <CLI/CLI.hpp>
#include <vector>

namespace fluxgen::cli {

using EvalRegistration = void (*)(CLI::App& eval);
std::vector<EvalRegistration> eval_registrations();

void register_eval_flux(CLI::App& eval);
void register_eval_flux_sample(CLI::App& eval);
void register_eval_vae(CLI::App& eval);
void register_eval_randn(CLI::App& eval);  // eval_randn.cpp
void register_eval_taesd(CLI::App& eval);
void register_eval_esrgan(CLI::App& eval);
void register_eval_clip(CLI::App& eval);
void register_eval_t5(CLI::App& eval);
void register_eval_yolo(CLI::App& eval);

}  // namespace fluxgen::cli
