// The files of a storage comparison (pipeline/storage_comparison.h) in its output folder: one PNG
// per option with its infotext, report.md (the table, for pasting), report.json (every figure) and
// report.html (one self-contained page: images as data: URIs behind a click-to-compare slider, the
// table, inline-SVG bar charts; no external script, style sheet, font or image). Every file is
// written atomically, so a report rewritten after each option is never seen half-written.
#pragma once
#include <string>

#include "pipeline/storage_comparison.h"

namespace fluxgen {

// "01-bnb-nf4-fp16-lora.png": the option's position and its label reduced to [a-z0-9-].
std::string comparison_image_name(size_t index, const std::string& label);

std::string comparison_markdown(const StorageComparison& c);
std::string comparison_json(const StorageComparison& c);
std::string comparison_html(const StorageComparison& c);

// Writes the newest option's PNG (and any missing from `dir`) and all three reports. Creates `dir`.
void write_comparison_report(const StorageComparison& c, const std::string& dir);

}  // namespace fluxgen
