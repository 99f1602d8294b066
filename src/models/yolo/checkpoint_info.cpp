#include "models/yolo/checkpoint_info.h"

#include <algorithm>
#include <set>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::yolo {

namespace {

using torch_pickle::Kind;
using torch_pickle::Value;

std::string short_class(const Value* obj) {
  const std::string& full = obj->text;
  const size_t dot = full.rfind('.');
  return dot == std::string::npos ? full : full.substr(dot + 1);
}

const Value* attribute(const Value* obj, std::string_view name) {
  if (!obj || (obj->kind != Kind::Object && obj->kind != Kind::Dict)) return nullptr;
  return torch_pickle::dict_get(obj, name);
}

std::optional<double> number(const Value* v) {
  if (!v) return std::nullopt;
  if (v->kind == Kind::Float) return v->real;
  if (v->kind == Kind::Int) return static_cast<double>(v->integer);
  if (v->kind == Kind::Bool) return v->flag ? 1.0 : 0.0;
  return std::nullopt;
}

std::optional<std::string> text(const Value* v) {
  if (v && v->kind == Kind::String) return v->text;
  return std::nullopt;
}

// {0: "face"} or ["face"] -> names by index.
std::vector<std::string> read_names(const Value* v, const std::string& src) {
  std::vector<std::string> names;
  if (!v) return names;
  if (v->kind == Kind::List || v->kind == Kind::Tuple) {
    for (const Value* n : v->items) names.push_back(text(n).value_or(""));
    return names;
  }
  if (v->kind != Kind::Dict) return names;
  for (const auto& [k, n] : v->entries) {
    // check_class_names turns keys into ints: {0: "face"} and {"0": "face"} both occur.
    int64_t index = -1;
    if (k->kind == Kind::Int) {
      index = k->integer;
    } else if (k->kind == Kind::String && !k->text.empty() && k->text.size() <= 7 &&
               std::all_of(k->text.begin(), k->text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      index = std::stoll(k->text);
    }
    check(index >= 0 && index < (int64_t(1) << 20), src, ": a class index in the checkpoint's names is ",
          torch_pickle::describe(k));
    const size_t i = static_cast<size_t>(index);
    if (i >= names.size()) names.resize(i + 1);
    names[i] = text(n).value_or(torch_pickle::describe(n));
  }
  return names;
}

struct Walker {
  ModelInfo& info;
  std::set<const Value*> seen;

  ActivationSpec activation_of_module(const Value* act, const std::string& path) {
    if (!act || act->kind != Kind::Object) return ActivationSpec{ActivationSpec::Kind::Identity};
    try {
      const float slope = static_cast<float>(number(attribute(act, "negative_slope")).value_or(0.01));
      ActivationSpec a = activation_from_class(act->text, slope);
      if (a.kind == ActivationSpec::Kind::GELU && text(attribute(act, "approximate")).value_or("none") == "tanh")
        a.kind = ActivationSpec::Kind::GELUTanh;
      return a;
    } catch (const Error& e) {
      fail(info.source, ": ", path, ".act: ", e.what());
    }
  }

  void walk(const Value* module, const std::string& path, size_t depth) {
    if (!module || module->kind != Kind::Object || depth > 64 || !seen.insert(module).second) return;
    const std::string cls = short_class(module);
    const Value* children = attribute(module, "_modules");
    if (cls == "Conv" && path != "") {
      const Value* act = children && children->kind == Kind::Dict ? torch_pickle::dict_get(children, "act") : nullptr;
      info.activations[path] = activation_of_module(act, path);
    } else if (cls == "BatchNorm2d") {
      if (auto eps = number(attribute(module, "eps"))) info.batchnorm_eps[path] = *eps;
    } else if (cls == "Bottleneck") {
      const Value* add = attribute(module, "add");
      if (add && add->kind == Kind::Bool) info.shortcuts[path] = add->flag;
    }
    if (!children || children->kind != Kind::Dict) return;
    for (const auto& [k, child] : children->entries)
      if (k->kind == Kind::String) walk(child, path.empty() ? k->text : path + "." + k->text, depth + 1);
  }
};

}  // namespace

ModelInfo model_info_from_checkpoint(const torch_pickle::TorchCheckpoint& checkpoint) {
  ModelInfo info;
  info.source = checkpoint.source();
  const Value* root = checkpoint.root();
  check(root && root->kind == Kind::Dict, info.source, ": not an Ultralytics checkpoint (the pickle holds ",
        root ? torch_pickle::describe(root) : std::string("nothing"), ", expected a dict with \"model\")");
  const Value* model = attribute(root, "ema");
  info.weights_prefix = "ema.model.";
  if (!model || model->kind != Kind::Object) {
    model = attribute(root, "model");
    info.weights_prefix = "model.model.";
  }
  check(model && model->kind == Kind::Object, info.source,
        ": not an Ultralytics checkpoint (no pickled model under \"model\")");

  if (const Value* yaml = attribute(model, "yaml"); yaml && yaml->kind == Kind::Dict) {
    if (auto nc = number(attribute(yaml, "nc"))) info.nc = static_cast<int64_t>(*nc);
    info.scale = text(attribute(yaml, "scale")).value_or("");
    if (const Value* scales = attribute(yaml, "scales"); scales && !info.scale.empty()) {
      const Value* s = attribute(scales, info.scale);
      if (s && (s->kind == Kind::List || s->kind == Kind::Tuple) && s->items.size() >= 2) {
        info.depth_multiple = number(s->items[0]);
        info.width_multiple = number(s->items[1]);
        if (s->items.size() >= 3)
          if (auto m = number(s->items[2])) info.max_channels = static_cast<int64_t>(*m);
      }
    }
    if (!info.depth_multiple) info.depth_multiple = number(attribute(yaml, "depth_multiple"));
    if (!info.width_multiple) info.width_multiple = number(attribute(yaml, "width_multiple"));
    if (auto act = text(attribute(yaml, "activation"))) {
      try {
        info.default_activation = activation_from_class(*act);
      } catch (const Error& e) {
        fail(info.source, ": yaml activation: ", e.what());
      }
    }
  }
  info.names = read_names(attribute(model, "names"), info.source);
  const Value* train_args = attribute(root, "train_args");
  info.task = text(attribute(train_args, "task")).value_or(text(attribute(model, "task")).value_or(""));
  // Ultralytics keeps the training imgsz as the model's predict default (_reset_ckpt_args).
  if (const Value* imgsz = attribute(train_args, "imgsz")) {
    if (imgsz->kind == Kind::Int) {
      info.imgsz = checked_imgsz(imgsz->integer, imgsz->integer, info.source);
    } else if ((imgsz->kind == Kind::List || imgsz->kind == Kind::Tuple) && imgsz->items.size() == 2 &&
               imgsz->items[0]->kind == Kind::Int && imgsz->items[1]->kind == Kind::Int) {
      info.imgsz = checked_imgsz(imgsz->items[0]->integer, imgsz->items[1]->integer, info.source);
    } else {
      fail(info.source, ": train_args imgsz is ", torch_pickle::describe(imgsz), ", expected an int or [h, w]");
    }
  }

  const Value* children = attribute(model, "_modules");
  const Value* layers = children && children->kind == Kind::Dict ? torch_pickle::dict_get(children, "model") : nullptr;
  if (const Value* list = attribute(layers, "_modules"); list && list->kind == Kind::Dict) {
    for (const auto& [k, layer] : list->entries)
      info.layer_classes.push_back(layer && layer->kind == Kind::Object ? short_class(layer) : torch_pickle::describe(layer));
    if (!info.layer_classes.empty()) info.head_class = info.layer_classes.back();
  }
  Walker walker{info, {}};
  walker.walk(layers, "model", 0);
  return info;
}

}  // namespace fluxgen::yolo
