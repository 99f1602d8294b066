#include "pipeline/comparison_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "io/image/image_io.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

namespace fs = std::filesystem;

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

std::string psnr_text(double psnr) { return std::isinf(psnr) ? "∞" : fixed(psnr, 2); }

std::string optional_mib(const std::optional<uint64_t>& b) { return b ? fixed(mib(*b), 1) : "–"; }

std::string effect_text(const std::optional<double>& e) { return e ? fixed(100.0 * *e, 1) + " %" : "–"; }

std::string settings_line(const StorageComparison& c) {
  const auto& s = c.settings;
  std::string lora;
  for (const auto& l : s.loras)
    lora += (lora.empty() ? "" : ", ") + fs::path(l.path).stem().string() + ":" + fixed(l.multiplier, 2);
  return "prompt \"" + s.prompt + "\", seed " + std::to_string(s.seed) + ", " + std::to_string(s.width) + "x" +
         std::to_string(s.height) + ", " + std::to_string(s.steps) + " steps, " + s.sampler + "/" + s.scheduler +
         ", LoRA " + (lora.empty() ? "none" : lora) + ", device " + c.device;
}

struct Column {
  const char* title;
  std::string (*cell)(const StorageMeasurement&);
};

const Column kColumns[] = {
    {"option", [](const StorageMeasurement& m) { return m.label + (m.reference ? " (reference)" : ""); }},
    {"weights MiB", [](const StorageMeasurement& m) { return fixed(mib(m.weight_bytes), 1); }},
    {"peak RSS MiB", [](const StorageMeasurement& m) { return optional_mib(m.peak_host_bytes); }},
    {"peak VRAM MiB", [](const StorageMeasurement& m) { return optional_mib(m.peak_device_bytes); }},
    {"load s", [](const StorageMeasurement& m) { return fixed(m.load_seconds, 2); }},
    {"s/step", [](const StorageMeasurement& m) { return fixed(m.seconds_per_step, 3); }},
    {"total s", [](const StorageMeasurement& m) { return fixed(m.total_seconds, 2); }},
    {"PSNR dB", [](const StorageMeasurement& m) { return psnr_text(m.psnr); }},
    {"SSIM", [](const StorageMeasurement& m) { return fixed(m.ssim, 4); }},
    {"LoRA effect error", [](const StorageMeasurement& m) { return effect_text(m.lora_effect_error); }},
};

// One horizontal bar chart as inline SVG; bars scaled to the largest value.
std::string svg_bar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                          const std::string& unit, int digits) {
  const int label_w = 230, bar_w = 320, row_h = 22, top = 26;
  const int height = top + row_h * static_cast<int>(bars.size()) + 6;
  double top_value = 0;
  for (const auto& b : bars) top_value = std::max(top_value, b.second);
  std::string svg = "<svg width=\"" + std::to_string(label_w + bar_w + 110) +
                    "\" height=\"" + std::to_string(height) + "\" role=\"img\"><text x=\"0\" y=\"16\" class=\"t\">" +
                    html_escape(title) + "</text>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const int y = top + row_h * static_cast<int>(i);
    const double w = top_value > 0 ? bar_w * bars[i].second / top_value : 0;
    svg += "<text x=\"" + std::to_string(label_w - 6) + "\" y=\"" + std::to_string(y + 15) +
           "\" text-anchor=\"end\">" + html_escape(bars[i].first) + "</text><rect x=\"" + std::to_string(label_w) +
           "\" y=\"" + std::to_string(y + 3) + "\" width=\"" + fixed(w, 1) + "\" height=\"" +
           std::to_string(row_h - 6) + "\" class=\"b\"/><text x=\"" + fixed(label_w + w + 6, 1) + "\" y=\"" +
           std::to_string(y + 15) + "\">" + fixed(bars[i].second, digits) + " " + html_escape(unit) + "</text>";
  }
  return svg + "</svg>";
}

std::string chart_of(const StorageComparison& c, const std::string& title, const std::string& unit, int digits,
                     const std::function<std::optional<double>(const StorageMeasurement&)>& value) {
  std::vector<std::pair<std::string, double>> bars;
  for (const auto& m : c.runs)
    if (auto v = value(m)) bars.emplace_back(m.label, *v);
  return bars.empty() ? "" : "<figure>" + svg_bar_chart(title, bars, unit, digits) + "</figure>\n";
}

constexpr const char* kStyle = R"(body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.cmp{position:relative;display:inline-block;cursor:ew-resize;line-height:0}
.cmp img{display:block;image-rendering:pixelated}.cmp .top{position:absolute;left:0;top:0;clip-path:inset(0 50% 0 0)}
.cmp .bar{position:absolute;top:0;bottom:0;left:50%;width:2px;background:#f33}
.grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{margin:0;line-height:0}.grid figcaption{line-height:1.4}
svg text{font:12px system-ui,sans-serif;fill:#222}svg .t{font-weight:bold}svg .b{fill:#4a7bd0}
)";

// Clicking or dragging over the pair moves the split; the select picks what is compared with the
// reference.
constexpr const char* kScript = R"(const imgs=JSON.parse(document.getElementById('imgs').textContent);
const top_=document.getElementById('top'),bar=document.getElementById('bar'),box=document.getElementById('cmp');
function split(e){const r=box.getBoundingClientRect();const p=Math.max(0,Math.min(100,100*(e.clientX-r.left)/r.width));
top_.style.clipPath='inset(0 '+(100-p)+'% 0 0)';bar.style.left=p+'%';}
box.addEventListener('click',split);box.addEventListener('mousemove',e=>{if(e.buttons)split(e);});
document.getElementById('pick').addEventListener('change',e=>{document.getElementById('bottom').src=imgs[e.target.value];});
)";

}  // namespace

std::string comparison_image_name(size_t index, const std::string& label) {
  std::string slug;
  for (char ch : to_lower(label)) {
    const bool keep = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (keep)
      slug += ch;
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%02zu-", index);
  std::string name(prefix);
  name.append(slug).append(".png");
  return name;
}

std::string comparison_markdown(const StorageComparison& c) {
  std::string md = "Storage comparison: " + settings_line(c) + (c.interrupted ? " (interrupted)" : "") + "\n\n|";
  std::string rule = "|";
  for (const auto& col : kColumns) {
    md.append(" ").append(col.title).append(" |");
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  for (const auto& m : c.runs) {
    md += "|";
    for (const auto& col : kColumns) md.append(" ").append(col.cell(m)).append(" |");
    md += "\n";
  }
  for (const auto& n : c.notes) md += "\nNote: " + n + "\n";
  return md;
}

std::string comparison_json(const StorageComparison& c) {
  json::Value root = json::Value::object();
  root["settings"] = settings_line(c);
  root["prompt"] = c.settings.prompt;
  root["seed"] = c.settings.seed;
  root["width"] = c.settings.width;
  root["height"] = c.settings.height;
  root["steps"] = c.settings.steps;
  root["device"] = c.device;
  root["interrupted"] = c.interrupted;
  json::Value notes = json::Value::array();
  for (const auto& n : c.notes) notes.push_back(n);
  root["notes"] = notes;
  json::Value runs = json::Value::array();
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const auto& m = c.runs[i];
    json::Value r = json::Value::object();
    r["option"] = m.label;
    r["reference"] = m.reference;
    r["image"] = comparison_image_name(i, m.label);
    r["weight_bytes"] = m.weight_bytes;
    r["peak_host_bytes"] = m.peak_host_bytes ? json::Value(*m.peak_host_bytes) : json::Value(nullptr);
    r["peak_device_bytes"] = m.peak_device_bytes ? json::Value(*m.peak_device_bytes) : json::Value(nullptr);
    r["load_seconds"] = m.load_seconds;
    r["seconds_per_step"] = m.seconds_per_step;
    r["total_seconds"] = m.total_seconds;
    // JSON has no infinity: null is "identical to the reference".
    r["psnr_db"] = std::isinf(m.psnr) ? json::Value(nullptr) : json::Value(m.psnr);
    r["ssim"] = m.ssim;
    r["lora_effect_error"] = m.lora_effect_error ? json::Value(*m.lora_effect_error) : json::Value(nullptr);
    runs.push_back(r);
  }
  root["runs"] = runs;
  return root.dump(2) + "\n";
}

std::string comparison_html(const StorageComparison& c) {
  std::vector<std::string> uris;
  for (const auto& m : c.runs) uris.push_back("data:image/png;base64," + encode_png_base64(m.image));
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>fluxgen storage "
                  "comparison</title><style>" + std::string(kStyle) + "</style></head><body>\n<h1>Weight storage "
                  "comparison</h1>\n<p>" + html_escape(settings_line(c)) + "</p>\n";
  if (c.interrupted) h += "<p><b>Interrupted:</b> only the finished options are shown.</p>\n";
  for (const auto& n : c.notes) h += "<p>Note: " + html_escape(n) + "</p>\n";
  h += "<table><tr>";
  for (const auto& col : kColumns) h += "<th>" + html_escape(col.title) + "</th>";
  h += "</tr>\n";
  for (const auto& m : c.runs) {
    h += "<tr>";
    for (const auto& col : kColumns) h += "<td>" + html_escape(col.cell(m)) + "</td>";
    h += "</tr>\n";
  }
  h += "</table>\n";
  if (!c.runs.empty()) {
    json::Value imgs = json::Value::array();
    for (const auto& u : uris) imgs.push_back(u);
    const size_t other = c.runs.size() > 1 ? 1 : 0;
    h += "<h2>Compare with the reference</h2>\n<p>Left of the red line: " + html_escape(c.runs[0].label) +
         "; right: <select id=\"pick\">";
    for (size_t i = 0; i < c.runs.size(); ++i)
      h += "<option value=\"" + std::to_string(i) + "\"" + (i == other ? " selected" : "") + ">" +
           html_escape(c.runs[i].label) + "</option>";
    h += "</select>. Click or drag over the image to move the line.</p>\n<div class=\"cmp\" id=\"cmp\"><img "
         "id=\"bottom\" alt=\"option\" src=\"" + uris[other] + "\"><img id=\"top\" class=\"top\" alt=\"reference\" "
         "src=\"" + uris[0] + "\"><div class=\"bar\" id=\"bar\"></div></div>\n<script type=\"application/json\" "
         "id=\"imgs\">" + imgs.dump() + "</script>\n<script>" + kScript + "</script>\n";
    h += "<h2>Charts</h2>\n";
    h += chart_of(c, "Transformer weights", "MiB", 1, [](const StorageMeasurement& m) { return mib(m.weight_bytes); });
    h += chart_of(c, "Peak RSS", "MiB", 1, [](const StorageMeasurement& m) -> std::optional<double> {
      if (!m.peak_host_bytes) return std::nullopt;
      return mib(*m.peak_host_bytes);
    });
    h += chart_of(c, "Peak VRAM", "MiB", 1, [](const StorageMeasurement& m) -> std::optional<double> {
      if (!m.peak_device_bytes) return std::nullopt;
      return mib(*m.peak_device_bytes);
    });
    h += chart_of(c, "Seconds per step", "s", 3, [](const StorageMeasurement& m) { return m.seconds_per_step; });
    h += chart_of(c, "End-to-end", "s", 2, [](const StorageMeasurement& m) { return m.total_seconds; });
    h += chart_of(c, "1 - SSIM vs the reference", "", 4, [](const StorageMeasurement& m) { return 1.0 - m.ssim; });
    h += chart_of(c, "LoRA effect error", "%", 1, [](const StorageMeasurement& m) -> std::optional<double> {
      if (!m.lora_effect_error) return std::nullopt;
      return 100.0 * *m.lora_effect_error;
    });
    h += "<h2>All images</h2>\n<div class=\"grid\">";
    for (size_t i = 0; i < c.runs.size(); ++i)
      h += "<figure><img alt=\"" + html_escape(c.runs[i].label) + "\" src=\"" + uris[i] + "\"><figcaption>" +
           html_escape(c.runs[i].label) + "</figcaption></figure>";
    h += "</div>\n";
  }
  return h + "</body></html>\n";
}

void write_comparison_report(const StorageComparison& c, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(dir, ": cannot create the output folder: ", ec.message());
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const fs::path png = fs::path(dir) / comparison_image_name(i, c.runs[i].label);
    // The newest option's image is always (re)written; earlier ones were written when they were newest.
    if (i + 1 == c.runs.size() || !fs::exists(png, ec)) write_png(png.string(), c.runs[i].image, {{"parameters", c.runs[i].infotext}});
  }
  auto write = [&](const char* name, const std::string& text) {
    write_file_atomically((fs::path(dir) / name).string(), text.data(), text.size());
  };
  write("report.md", comparison_markdown(c));
  write("report.json", comparison_json(c));
  write("report.html", comparison_html(c));
}

}  // namespace fluxgen
