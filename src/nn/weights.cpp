#include "nn/weights.h"

#include <algorithm>

#include "backend/backend.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

Weights::Weights(std::shared_ptr<const TensorStore> store, std::string prefix)
    : store_(std::move(store)), prefix_(std::move(prefix)) {
  if (!prefix_.empty() && prefix_.back() != '.') prefix_ += '.';
}

namespace {
// Appends rather than chaining operator+, which trips GCC 12's -Wrestrict false positive (PR 105329).
std::string concat(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size());
  out.append(a).append(b).append(c);
  return out;
}
}  // namespace

Weights Weights::sub(std::string_view child) const { return Weights(store_, concat(prefix_, child, ".")); }

std::string Weights::key(std::string_view name) const { return concat(prefix_, name); }

bool Weights::has(std::string_view name) const { return store_->contains(key(name)); }

Tensor Weights::get(std::string_view name) const { return store_->get(key(name)); }

Tensor Weights::get(std::string_view name, const Shape& expected) const {
  const std::string k = key(name);
  if (!store_->contains(k)) fail(store_->source(), ": tensor ", k, " is missing (expected shape ", shape_string(expected), ")");
  Tensor t = store_->get(k);
  if (t.shape() != expected)
    fail(store_->source(), ": tensor ", k, " has shape ", shape_string(t.shape()), ", expected ", shape_string(expected));
  return t;
}

std::optional<Tensor> Weights::maybe(std::string_view name) const {
  const std::string k = key(name);
  if (!store_->contains(k)) return std::nullopt;
  return store_->get(k);
}

Tensor Weights::layer_weight(std::string_view name, const Shape& expected, std::optional<DType> dtype,
                             int block_size) const {
  const Shape found = shape(name);
  if (found != expected)
    fail(store_->source(), ": tensor ", key(name), " has shape ", shape_string(found), ", expected ", shape_string(expected));
  return store_->get_layer_weight(key(name), dtype, block_size);
}

Shape Weights::shape(std::string_view name) const {
  const std::string k = key(name);
  if (!store_->contains(k)) fail(store_->source(), ": tensor ", k, " is missing");
  return store_->shape(k);
}

int64_t Weights::count(std::string_view child) const {
  const std::string base = concat(prefix_, child, ".");
  const auto names = store_->names();
  auto has_prefix = [&](const std::string& p) {
    auto it = std::lower_bound(names.begin(), names.end(), p);
    return it != names.end() && starts_with(*it, p);
  };
  int64_t n = 0;
  while (has_prefix(concat(base, std::to_string(n), "."))) ++n;
  return n;
}

bool Weights::exists() const {
  if (prefix_.empty()) return !store_->names().empty();
  const auto names = store_->names();
  auto it = std::lower_bound(names.begin(), names.end(), prefix_);
  return it != names.end() && starts_with(*it, prefix_);
}

Tensor Weights::place(const Tensor& host) const {
  const Device device = store_->device();
  return device == host.device() ? host : backend_for(device).upload_weight(host);
}

}  // namespace fluxgen
