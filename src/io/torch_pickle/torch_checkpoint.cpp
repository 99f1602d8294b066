#include "io/torch_pickle/torch_checkpoint.h"

#include <cstring>

#include "io/mapped_file.h"
#include "io/torch_pickle/zip_archive.h"
#include "util/error.h"

namespace fluxgen::torch_pickle {

std::shared_ptr<const TorchCheckpoint> TorchCheckpoint::open(const std::string& path, const Limits& limits) {
  auto file = MappedFile::open(path);
  const uint8_t* data = file->data();
  const size_t size = file->size();
  return parse(std::shared_ptr<const void>(file, data), data, size, path, limits);
}

std::shared_ptr<const TorchCheckpoint> TorchCheckpoint::parse(std::shared_ptr<const void> owner, const uint8_t* data,
                                                              size_t size, const std::string& what,
                                                              const Limits& limits) {
  std::shared_ptr<TorchCheckpoint> ckpt(new TorchCheckpoint());
  ckpt->source_ = what;
  CheckpointContents& c = ckpt->contents_;
  c.arena = std::make_unique<Arena>(limits);
  if (looks_like_zip(data, size)) {
    read_zip_format(data, size, owner, what, c);
  } else if (size > 262 && std::memcmp(data + 257, "ustar", 5) == 0) {
    fail(what, ": a tar-format torch checkpoint (PyTorch < 0.4) is not supported; re-save it with a recent torch");
  } else if (size >= 2 && data[0] == 0x80) {
    read_legacy_format(data, size, owner, what, c);
  } else {
    fail(what, ": not a PyTorch checkpoint (neither a torch.save zip archive nor a legacy torch.save stream)");
  }
  check(c.storage_bytes.size() == c.objects.storages.size(), what, ": internal error: unresolved storages");
  return ckpt;
}

Tensor TorchCheckpoint::materialize(size_t index) const {
  const TensorRecord& t = contents_.objects.tensors.at(index);
  const StorageBytes& bytes = contents_.storage_bytes.at(t.storage);
  const int64_t numel = shape_numel(t.shape);
  if (numel == 0) return Tensor::empty(t.shape, t.dtype);
  const size_t e = static_cast<size_t>(element_bytes(t.dtype));
  // Bounds were validated when the tensor was rebuilt and when its storage was located.
  const uint8_t* base = bytes.data + static_cast<size_t>(t.offset) * e;
  bool contiguous = true;
  int64_t expected = 1;
  for (size_t d = t.shape.size(); d-- > 0;) {
    if (t.shape[d] != 1 && t.stride[d] != expected) contiguous = false;
    expected *= t.shape[d];
  }
  const bool aligned = reinterpret_cast<uintptr_t>(base) % e == 0;
  if (contiguous && aligned && !contents_.big_endian)
    return Tensor::wrap(t.shape, t.dtype, base, static_cast<size_t>(numel) * e, bytes.owner);

  Tensor out = Tensor::empty(t.shape, t.dtype);
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  const size_t ndim = t.shape.size();
  if (contiguous) {
    std::memcpy(dst, base, static_cast<size_t>(numel) * e);
  } else {
    // Walk the outer dimensions with an odometer; copy the innermost one as a run.
    const int64_t inner = ndim ? t.shape[ndim - 1] : 1;
    const int64_t inner_stride = ndim ? t.stride[ndim - 1] : 1;
    std::vector<int64_t> idx(ndim ? ndim - 1 : 0, 0);
    const int64_t outer = numel / inner;
    for (int64_t o = 0; o < outer; ++o) {
      int64_t src = 0;
      for (size_t d = 0; d + 1 < ndim; ++d) src += idx[d] * t.stride[d];
      const uint8_t* s = base + static_cast<size_t>(src) * e;
      if (inner_stride == 1) {
        std::memcpy(dst, s, static_cast<size_t>(inner) * e);
        dst += static_cast<size_t>(inner) * e;
      } else {
        for (int64_t i = 0; i < inner; ++i, dst += e) std::memcpy(dst, s + static_cast<size_t>(i * inner_stride) * e, e);
      }
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < t.shape[d]) break;
        idx[d] = 0;
      }
    }
  }
  if (contents_.big_endian && e > 1) {
    auto* p = static_cast<uint8_t*>(out.raw_data());
    for (int64_t i = 0; i < numel; ++i, p += e)
      for (size_t a = 0, b = e - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
  }
  return out;
}

}  // namespace fluxgen::torch_pickle
