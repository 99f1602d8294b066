// Each fluxgen subcommand registers itself on the CLI11 application; main() only wires them up.
// A command reports failure by throwing fluxgen::Error; main prints it as one line and exits 1.
#pragma once
#include <CLI/CLI.hpp>
#include <vector>

namespace fluxgen::cli {

using CommandRegistration = void (*)(CLI::App& app);
// Every top-level command, in --help order (commands.cpp).
std::vector<CommandRegistration> top_level_commands();

void register_info_command(CLI::App& app);
void register_generate_command(CLI::App& app);
void register_presets_command(CLI::App& app);
// `fluxgen compare`: one image per weight storage, measured, into DIR/report.html/.md/.json.
void register_compare_command(CLI::App& app);
// `fluxgen upscale IN --upscaler NAME --scale S OUT.png`
void register_upscale_command(CLI::App& app);
// `fluxgen png-info FILE`: the infotext stored in an image.
void register_png_info_command(CLI::App& app);
// `fluxgen convert IN.pt OUT.safetensors`: a torch checkpoint read as data, written as safetensors.
void register_convert_command(CLI::App& app);
// `fluxgen tokenize`: a prompt's CLIP or T5 token ids.
void register_tokenize_command(CLI::App& app);
// `fluxgen detect IMAGE --model F`: YOLO boxes, printed and drawn.
void register_detect_command(CLI::App& app);
// `fluxgen serve`: the A1111/Forge-compatible HTTP API (src/server).
void register_serve_command(CLI::App& app);
// `fluxgen worker`: runs the jobs of a Redis job queue (src/server/redis).
void register_worker_command(CLI::App& app);
// `fluxgen eval <what>`: the numerical test entry points reading `in.*` and writing `out.*`.
void register_eval_commands(CLI::App& eval);

}  // namespace fluxgen::cli
