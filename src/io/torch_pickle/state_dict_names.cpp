#include "io/torch_pickle/state_dict_names.h"

#include <map>
#include <unordered_set>

#include "util/error.h"

namespace fluxgen::torch_pickle {
namespace {

constexpr size_t kMaxNameLength = 4096;

bool key_name(const Value* key, std::string& out) {
  if (key->kind == Kind::String) {
    out = key->text;
    return true;
  }
  if (key->kind == Kind::Int) {
    out = std::to_string(key->integer);
    return true;
  }
  return false;
}

std::string join(const std::string& path, const std::string& name) {
  std::string out = path.empty() ? name : path + "." + name;
  check(out.size() <= kMaxNameLength, "a tensor name is longer than ", kMaxNameLength, " characters ('",
        printable(out, 80), "')");
  return out;
}

bool is_module(const Value* v) {
  if (v->kind != Kind::Object) return false;
  const Value* modules = dict_get(v, "_modules");
  const Value* params = dict_get(v, "_parameters");
  return (modules && modules->kind == Kind::Dict) || (params && params->kind == Kind::Dict);
}

class Namer {
 public:
  Namer(const Limits& limits, size_t object_count) : limits_(limits), budget_(8 * object_count + 4096) {}

  void visit(const Value* v, const std::string& path, size_t depth) {
    enter(v, depth);
    switch (v->kind) {
      case Kind::Tensor: emit(primary_, path.empty() ? "tensor" : path, v); break;
      case Kind::Dict: visit_entries(v, path, depth); break;
      case Kind::List:
      case Kind::Tuple:
        for (size_t i = 0; i < v->items.size(); ++i) visit(v->items[i], join(path, std::to_string(i)), depth + 1);
        break;
      case Kind::Object:
        if (is_module(v))
          visit_module(v, path, "", depth);
        else
          visit_entries(v, path, depth);
        break;
      default: break;
    }
    leave(v);
  }

  std::vector<NamedTensor> result() const {
    std::vector<NamedTensor> out;
    out.reserve(primary_.size() + aliases_.size());
    std::map<std::string, size_t> all = primary_;
    for (const auto& [name, index] : aliases_) all.emplace(name, index);  // never displaces a state-dict name
    for (const auto& [name, index] : all) out.push_back({name, index});
    return out;
  }

 private:
  void enter(const Value* v, size_t depth) {
    check(depth < limits_.max_depth, "the checkpoint nests containers deeper than ", limits_.max_depth, " levels");
    check(budget_-- > 0, "the checkpoint's object graph has too many paths (shared references multiply them)");
    on_path_.insert(v);
  }
  void leave(const Value* v) { on_path_.erase(v); }
  bool cycles(const Value* v) const { return on_path_.count(v) > 0; }

  void visit_entries(const Value* v, const std::string& path, size_t depth) {
    std::string name;
    for (const auto& [key, value] : v->entries) {
      if (!key_name(key, name) || cycles(value)) continue;
      visit(value, join(path, name), depth + 1);
    }
  }

  // `path`: the state-dict prefix; `attr_path`: the attribute path from the outermost module.
  void visit_module(const Value* m, const std::string& path, const std::string& attr_path, size_t depth) {
    std::string name;
    if (const Value* params = dict_get(m, "_parameters"); params && params->kind == Kind::Dict)
      for (const auto& [key, value] : params->entries)
        if (value->kind == Kind::Tensor && key_name(key, name)) emit(primary_, join(path, name), value);
    if (const Value* buffers = dict_get(m, "_buffers"); buffers && buffers->kind == Kind::Dict) {
      const Value* transient = dict_get(m, "_non_persistent_buffers_set");
      for (const auto& [key, value] : buffers->entries) {
        if (value->kind != Kind::Tensor || !key_name(key, name)) continue;
        bool persistent = true;
        if (transient && transient->kind == Kind::Set)
          for (const Value* t : transient->items)
            if (t->kind == Kind::String && t->text == name) persistent = false;
        if (persistent) emit(primary_, join(path, name), value);
      }
    }
    for (const auto& [key, value] : m->entries)
      if (value->kind == Kind::Tensor && key_name(key, name)) emit(aliases_, join(attr_path, name), value);
    if (const Value* modules = dict_get(m, "_modules"); modules && modules->kind == Kind::Dict) {
      for (const auto& [key, child] : modules->entries) {
        if (!key_name(key, name) || !is_module(child) || cycles(child)) continue;
        enter(child, depth + 1);
        visit_module(child, join(path, name), join(attr_path, name), depth + 1);
        leave(child);
      }
    }
  }

  void emit(std::map<std::string, size_t>& names, const std::string& name, const Value* tensor) {
    const auto index = static_cast<size_t>(tensor->integer);
    auto [it, inserted] = names.emplace(name, index);
    if (inserted) {
      check(names.size() <= limits_.max_tensors, "more than ", limits_.max_tensors, " tensor names");
      return;
    }
    if (&names == &primary_)
      check(it->second == index, "two different tensors are both named '", printable(name), "'");
  }

  const Limits& limits_;
  size_t budget_;
  std::map<std::string, size_t> primary_, aliases_;
  std::unordered_set<const Value*> on_path_;
};

}  // namespace

std::vector<NamedTensor> name_tensors(const Value* root, const Limits& limits, size_t object_count) {
  Namer namer(limits, object_count);
  namer.visit(root, "", 0);
  return namer.result();
}

}  // namespace fluxgen::torch_pickle
