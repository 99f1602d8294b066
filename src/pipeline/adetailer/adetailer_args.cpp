#include "pipeline/adetailer/adetailer_args.h"

#include <cmath>
#include <cstdlib>
#include <functional>

#include "util/error.h"
#include "util/python_repr.h"
#include "util/strings.h"

namespace fluxgen::adetailer {

bool ADetailerArgs::is_mediapipe() const { return starts_with(to_lower(ad_model), "mediapipe"); }

std::pair<int64_t, int64_t> ADetailerArgs::size_or(int64_t width, int64_t height) const {
  if (ad_use_inpaint_width_height) return {ad_inpaint_width, ad_inpaint_height};
  return {width, height};
}

std::string ordinal(int n) {
  const int mod100 = n % 100, mod10 = n % 10;
  const char* suffix = (mod100 >= 11 && mod100 <= 13) ? "th" : mod10 == 1 ? "st" : mod10 == 2 ? "nd" : mod10 == 3 ? "rd" : "th";
  return std::to_string(n) + suffix;
}

namespace {

// pydantic v1's coercions. Each throws a bare message; the caller prefixes the key.
bool to_bool(const json::Value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_number() && (v.as_number() == 0 || v.as_number() == 1)) return v.as_number() == 1;
  if (v.is_string()) {
    const std::string s = to_lower(v.as_string());
    if (s == "1" || s == "on" || s == "t" || s == "true" || s == "y" || s == "yes") return true;
    if (s == "0" || s == "off" || s == "f" || s == "false" || s == "n" || s == "no") return false;
  }
  fail("value could not be parsed to a boolean: ", v.dump());
}

double to_float(const json::Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_number()) return v.as_number();
  if (v.is_string()) {
    const std::string s = trim(v.as_string());
    char* end = nullptr;
    const double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  fail("value is not a valid float: ", v.dump());
}

int64_t to_int(const json::Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_integer()) return v.as_int();
  if (v.is_number()) {
    // int(3.7) == 3: pydantic v1 truncates.
    const double d = v.as_number();
    if (std::isfinite(d) && std::abs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    const std::string s = trim(v.as_string());
    size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    bool digits = i < s.size() && s.size() - i <= 18;
    for (size_t k = i; digits && k < s.size(); ++k) digits = std::isdigit(static_cast<unsigned char>(s[k])) != 0;
    if (digits) return std::stoll(s);
  }
  fail("value is not a valid integer: ", v.dump());
}

std::string to_str(const json::Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_integer()) return std::to_string(v.as_int());
  if (v.is_number()) return python_float_repr(v.as_number());
  fail("str type expected, got ", v.dump());
}

double ranged(double d, double lo, double hi) {
  check(d >= lo, "ensure this value is greater than or equal to ", python_float_repr(lo), " (got ", python_float_repr(d), ")");
  check(d <= hi, "ensure this value is less than or equal to ", python_float_repr(hi), " (got ", python_float_repr(d), ")");
  return d;
}

int64_t at_least(int64_t i, int64_t lo) {
  check(i >= lo, "ensure this value is greater than or equal to ", lo, " (got ", i, ")");
  return i;
}

std::string str_bool(bool b) { return b ? "True" : "False"; }

const char* filter_method_name(MaskFilterMethod m) { return m == MaskFilterMethod::Area ? "Area" : "Confidence"; }
const char* merge_invert_name(MergeInvert m) {
  return m == MergeInvert::None ? "None" : m == MergeInvert::Merge ? "Merge" : "Merge and Invert";
}

// One model field: its key, its infotext name, how to set it and its Python str().
struct Field {
  const char* key;
  const char* infotext;
  std::function<void(ADetailerArgs&, const json::Value&)> set;
  std::function<std::optional<std::string>(const ADetailerArgs&)> str;
};

#define FIELD_BOOL(name, label)                                                     \
  Field { #name, label, [](ADetailerArgs& a, const json::Value& v) { a.name = to_bool(v); }, \
          [](const ADetailerArgs& a) -> std::optional<std::string> { return str_bool(a.name); } }
#define FIELD_STR(name, label)                                                      \
  Field { #name, label, [](ADetailerArgs& a, const json::Value& v) { a.name = to_str(v); },  \
          [](const ADetailerArgs& a) -> std::optional<std::string> { return a.name; } }
#define FIELD_OPT_STR(name, label)                                                                    \
  Field { #name, label,                                                                              \
          [](ADetailerArgs& a, const json::Value& v) {                                               \
            if (v.is_null()) a.name.reset(); else a.name = to_str(v);                                \
          },                                                                                         \
          [](const ADetailerArgs& a) -> std::optional<std::string> { return a.name; } }
#define FIELD_FLOAT(name, label, lo, hi)                                                              \
  Field { #name, label, [](ADetailerArgs& a, const json::Value& v) { a.name = ranged(to_float(v), lo, hi); }, \
          [](const ADetailerArgs& a) -> std::optional<std::string> { return python_float_repr(a.name); } }
#define FIELD_INT(name, label, lo)                                                                    \
  Field { #name, label, [](ADetailerArgs& a, const json::Value& v) { a.name = at_least(to_int(v), lo); }, \
          [](const ADetailerArgs& a) -> std::optional<std::string> { return std::to_string(a.name); } }

constexpr int64_t kAnyInt = INT64_MIN;

// In the order of adetailer/args.py _all_args (the infotext order).
const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      FIELD_STR(ad_model, "ADetailer model"),
      FIELD_STR(ad_model_classes, "ADetailer model classes"),
      FIELD_BOOL(ad_tab_enable, "ADetailer tab enable"),
      FIELD_STR(ad_prompt, "ADetailer prompt"),
      FIELD_STR(ad_negative_prompt, "ADetailer negative prompt"),
      FIELD_FLOAT(ad_confidence, "ADetailer confidence", 0.0, 1.0),
      Field{"ad_mask_filter_method", "ADetailer method to decide top k masks",
            [](ADetailerArgs& a, const json::Value& v) {
              const std::string s = v.is_string() ? v.as_string() : std::string();
              if (v.is_string() && s == "Area") a.ad_mask_filter_method = MaskFilterMethod::Area;
              else if (v.is_string() && s == "Confidence") a.ad_mask_filter_method = MaskFilterMethod::Confidence;
              else fail("unexpected value ", v.dump(), "; permitted: 'Area', 'Confidence'");
            },
            [](const ADetailerArgs& a) -> std::optional<std::string> { return filter_method_name(a.ad_mask_filter_method); }},
      FIELD_INT(ad_mask_k, "ADetailer mask only top k", 0),
      FIELD_FLOAT(ad_mask_min_ratio, "ADetailer mask min ratio", 0.0, 1.0),
      FIELD_FLOAT(ad_mask_max_ratio, "ADetailer mask max ratio", 0.0, 1.0),
      FIELD_INT(ad_x_offset, "ADetailer x offset", kAnyInt),
      FIELD_INT(ad_y_offset, "ADetailer y offset", kAnyInt),
      FIELD_INT(ad_dilate_erode, "ADetailer dilate erode", kAnyInt),
      Field{"ad_mask_merge_invert", "ADetailer mask merge invert",
            [](ADetailerArgs& a, const json::Value& v) {
              const std::string s = v.is_string() ? v.as_string() : std::string();
              if (v.is_string() && s == "None") a.ad_mask_merge_invert = MergeInvert::None;
              else if (v.is_string() && s == "Merge") a.ad_mask_merge_invert = MergeInvert::Merge;
              else if (v.is_string() && s == "Merge and Invert") a.ad_mask_merge_invert = MergeInvert::MergeAndInvert;
              else fail("unexpected value ", v.dump(), "; permitted: 'None', 'Merge', 'Merge and Invert'");
            },
            [](const ADetailerArgs& a) -> std::optional<std::string> { return merge_invert_name(a.ad_mask_merge_invert); }},
      FIELD_INT(ad_mask_blur, "ADetailer mask blur", 0),
      FIELD_FLOAT(ad_denoising_strength, "ADetailer denoising strength", 0.0, 1.0),
      FIELD_BOOL(ad_inpaint_only_masked, "ADetailer inpaint only masked"),
      FIELD_INT(ad_inpaint_only_masked_padding, "ADetailer inpaint padding", 0),
      FIELD_BOOL(ad_use_inpaint_width_height, "ADetailer use inpaint width height"),
      FIELD_INT(ad_inpaint_width, "ADetailer inpaint width", 1),
      FIELD_INT(ad_inpaint_height, "ADetailer inpaint height", 1),
      FIELD_BOOL(ad_use_steps, "ADetailer use separate steps"),
      FIELD_INT(ad_steps, "ADetailer steps", 1),
      FIELD_BOOL(ad_use_cfg_scale, "ADetailer use separate CFG scale"),
      FIELD_FLOAT(ad_cfg_scale, "ADetailer CFG scale", 0.0, INFINITY),
      FIELD_BOOL(ad_use_checkpoint, "ADetailer use separate checkpoint"),
      FIELD_OPT_STR(ad_checkpoint, "ADetailer checkpoint"),
      FIELD_BOOL(ad_use_vae, "ADetailer use separate VAE"),
      FIELD_OPT_STR(ad_vae, "ADetailer VAE"),
      FIELD_BOOL(ad_use_sampler, "ADetailer use separate sampler"),
      FIELD_STR(ad_sampler, "ADetailer sampler"),
      FIELD_STR(ad_scheduler, "ADetailer scheduler"),
      FIELD_BOOL(ad_use_noise_multiplier, "ADetailer use separate noise multiplier"),
      FIELD_FLOAT(ad_noise_multiplier, "ADetailer noise multiplier", 0.5, 1.5),
      FIELD_BOOL(ad_use_clip_skip, "ADetailer use separate CLIP skip"),
      Field{"ad_clip_skip", "ADetailer CLIP skip",
            [](ADetailerArgs& a, const json::Value& v) {
              a.ad_clip_skip = at_least(to_int(v), 1);
              check(a.ad_clip_skip <= 12, "ensure this value is less than or equal to 12 (got ", a.ad_clip_skip, ")");
            },
            [](const ADetailerArgs& a) -> std::optional<std::string> { return std::to_string(a.ad_clip_skip); }},
      FIELD_BOOL(ad_restore_face, "ADetailer restore face"),
      FIELD_STR(ad_controlnet_model, "ADetailer ControlNet model"),
      FIELD_STR(ad_controlnet_module, "ADetailer ControlNet module"),
      FIELD_FLOAT(ad_controlnet_weight, "ADetailer ControlNet weight", 0.0, 1.0),
      FIELD_FLOAT(ad_controlnet_guidance_start, "ADetailer ControlNet guidance start", 0.0, 1.0),
      FIELD_FLOAT(ad_controlnet_guidance_end, "ADetailer ControlNet guidance end", 0.0, 1.0),
  };
  return table;
}

#undef FIELD_BOOL
#undef FIELD_STR
#undef FIELD_OPT_STR
#undef FIELD_FLOAT
#undef FIELD_INT

}  // namespace

ADetailerArgs parse_adetailer_args(const json::Value& unit, std::string_view what) {
  check(unit.is_object(), what, ": expected a JSON object, got ", unit.dump());
  ADetailerArgs a;
  for (const auto& [key, value] : unit.as_object()) {
    // is_api's pre-validator turns any value into "not a tuple", which JSON never is.
    if (key == "is_api") continue;
    const std::string_view name = key == "ad_mask_k_largest" ? std::string_view("ad_mask_k") : std::string_view(key);
    if (key == "ad_mask_k_largest" && unit.contains("ad_mask_k"))
      fail(what, ": ad_mask_k_largest: both ad_mask_k and its old name ad_mask_k_largest are given");
    const Field* field = nullptr;
    for (const Field& f : fields())
      if (name == f.key) field = &f;
    if (!field) fail(what, ": unknown key \"", key, "\" (extra fields not permitted; the whole unit is rejected)");
    try {
      field->set(a, value);
    } catch (const Error& e) {
      fail(what, ": ", key, ": ", e.what());
    }
  }
  return a;
}

ADetailerScriptArgs parse_adetailer_script_args(const json::Value& args_in) {
  const json::Value* list = &args_in;
  if (args_in.is_object()) {
    list = args_in.find("args");
    check(list != nullptr, "ADetailer script arguments: object without \"args\"");
  }
  check(list->is_array(), "ADetailer script arguments: expected a list, got ", list->dump());
  const json::Array& items = list->as_array();
  ADetailerScriptArgs out;
  out.skip_img2img = items.size() >= 2 && items[1].is_bool() && items[1].as_bool();
  const bool switch_on = items.empty() || !items[0].is_bool() || items[0].as_bool();
  int n = 0;
  for (const json::Value& item : items) {
    if (!item.is_object()) continue;
    ++n;
    try {
      out.units.push_back(parse_adetailer_args(item, ordinal(n) + " unit"));
    } catch (const Error& e) {
      out.rejected.emplace_back(e.what());
    }
  }
  bool any = false;
  for (const ADetailerArgs& u : out.units) any = any || !u.need_skip();
  out.enabled = switch_on && any;
  return out;
}

InfotextParams adetailer_infotext_params(const ADetailerArgs& args, int n) {
  if (args.need_skip()) return {};
  std::vector<std::pair<std::string, std::optional<std::string>>> p;
  for (const Field& f : fields()) p.emplace_back(f.infotext, f.str(args));
  auto find = [&](const std::string& key) {
    for (auto it = p.begin(); it != p.end(); ++it)
      if (it->first == key) return it;
    return p.end();
  };
  auto pop = [&](const std::string& key) {
    if (auto it = find(key); it != p.end()) p.erase(it);
  };
  // ADetailerArgs.ppop: when `key` is present and its value is falsy (or equals `cond`), pop `pops`.
  auto ppop = [&](const std::string& key, std::vector<std::string> pops, std::function<bool(const std::string&)> cond) {
    const auto it = find(key);
    if (it == p.end()) return;
    if (cond(it->second.value_or(""))) {
      if (pops.empty()) pops = {key};
      for (const auto& k : pops) pop(k);
    }
  };
  // Python truthiness of the typed values: empty strings and False.
  auto empty = [](const std::string& v) { return v.empty(); };
  auto is_false = [](const std::string& v) { return v == "False"; };
  auto equals = [](std::string want) { return [want](const std::string& v) { return v == want; }; };
  auto zero = [](const std::string& v) { return v == "0.0" || v == "-0.0"; };
  ppop("ADetailer model classes", {}, empty);
  ppop("ADetailer prompt", {}, empty);
  ppop("ADetailer negative prompt", {}, empty);
  pop("ADetailer tab enable");
  ppop("ADetailer mask only top k", {"ADetailer mask only top k", "ADetailer method to decide top k masks"}, equals("0"));
  ppop("ADetailer mask min ratio", {}, zero);
  ppop("ADetailer mask max ratio", {}, equals("1.0"));
  ppop("ADetailer x offset", {}, equals("0"));
  ppop("ADetailer y offset", {}, equals("0"));
  ppop("ADetailer mask merge invert", {}, equals("None"));
  ppop("ADetailer inpaint only masked", {"ADetailer inpaint padding"}, is_false);
  ppop("ADetailer use inpaint width height",
       {"ADetailer use inpaint width height", "ADetailer inpaint width", "ADetailer inpaint height"}, is_false);
  ppop("ADetailer use separate steps", {"ADetailer use separate steps", "ADetailer steps"}, is_false);
  ppop("ADetailer use separate CFG scale", {"ADetailer use separate CFG scale", "ADetailer CFG scale"}, is_false);
  ppop("ADetailer use separate checkpoint", {"ADetailer use separate checkpoint", "ADetailer checkpoint"}, is_false);
  ppop("ADetailer use separate VAE", {"ADetailer use separate VAE", "ADetailer VAE"}, is_false);
  ppop("ADetailer use separate sampler",
       {"ADetailer use separate sampler", "ADetailer sampler", "ADetailer scheduler"}, is_false);
  ppop("ADetailer scheduler", {}, equals("Use same scheduler"));
  ppop("ADetailer use separate noise multiplier",
       {"ADetailer use separate noise multiplier", "ADetailer noise multiplier"}, is_false);
  ppop("ADetailer use separate CLIP skip", {"ADetailer use separate CLIP skip", "ADetailer CLIP skip"}, is_false);
  ppop("ADetailer restore face", {}, is_false);
  ppop("ADetailer ControlNet model",
       {"ADetailer ControlNet model", "ADetailer ControlNet module", "ADetailer ControlNet weight",
        "ADetailer ControlNet guidance start", "ADetailer ControlNet guidance end"},
       equals("None"));
  ppop("ADetailer ControlNet module", {}, equals("None"));
  ppop("ADetailer ControlNet weight", {}, equals("1.0"));
  ppop("ADetailer ControlNet guidance start", {}, zero);
  ppop("ADetailer ControlNet guidance end", {}, equals("1.0"));
  std::string suffix;
  if (n > 0) suffix.append(" ").append(ordinal(n + 1));
  InfotextParams out;
  // A1111's create_infotext leaves out None values.
  for (const auto& [k, v] : p)
    if (v) out.emplace_back(k + suffix, *v);
  return out;
}

InfotextParams adetailer_infotext(const std::vector<ADetailerArgs>& units) {
  InfotextParams out;
  for (size_t n = 0; n < units.size(); ++n) {
    InfotextParams p = adetailer_infotext_params(units[n], static_cast<int>(n));
    out.insert(out.end(), p.begin(), p.end());
  }
  out.emplace_back("ADetailer version", kADetailerVersion);
  return out;
}

}  // namespace fluxgen::adetailer
