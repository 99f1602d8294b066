// The legacy torch.save stream (PyTorch < 1.6, or _use_new_zipfile_serialization=False): five
// pickles back to back — the magic number, the protocol version (1001), sys_info (byte order and
// type sizes), the object pickle, the sorted list of storage keys — then, for each key in that
// order, an 8-byte element count and the storage's raw bytes.
#include <array>
#include <cstring>
#include <unordered_map>

#include "io/torch_pickle/torch_checkpoint.h"
#include "util/error.h"

namespace fluxgen::torch_pickle {
namespace {

// 0x1950a86a20f9469cfc6c as the little-endian bytes of pickle's LONG1 operand.
constexpr std::array<uint8_t, 10> kMagic = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kProtocolVersion = 1001;

}  // namespace

void read_legacy_format(const uint8_t* data, size_t size, const std::shared_ptr<const void>& owner,
                        const std::string& what, CheckpointContents& out) {
  TorchHost host(out.objects);
  Arena& arena = *out.arena;
  size_t pos = 0;
  auto next = [&](const char* part) {
    const PickleResult r = run_pickle(data + pos, size - pos, arena, host, what + ": " + part);
    pos += r.consumed;
    return r.root;
  };

  const Value* magic = next("magic number");
  check(magic->kind == Kind::BigInt && magic->text.size() == kMagic.size() &&
            std::memcmp(magic->text.data(), kMagic.data(), kMagic.size()) == 0,
        what, ": not a PyTorch checkpoint (a pickle, but without torch.save's magic number)");
  const Value* protocol = next("protocol version");
  check(protocol->kind == Kind::Int && protocol->integer == kProtocolVersion, what,
        ": unsupported legacy torch.save protocol version ", describe(protocol), " (expected 1001)");
  const Value* sys_info = next("sys_info");
  check(sys_info->kind == Kind::Dict, what, ": sys_info is a ", describe(sys_info), ", expected a dict");
  if (const Value* little = dict_get(sys_info, "little_endian")) {
    check(little->kind == Kind::Bool, what, ": sys_info.little_endian is a ", describe(little));
    out.big_endian = !little->flag;
  }
  out.root = next("object pickle");
  const Value* keys = next("storage keys");
  check(keys->kind == Kind::List, what, ": the storage key list is a ", describe(keys), ", expected a list");

  // Every storage record made from one root key: the root itself and legacy views of it.
  std::unordered_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < out.objects.storages.size(); ++i) by_key[out.objects.storages[i].key].push_back(i);
  std::vector<bool> resolved(out.objects.storages.size(), false);
  out.storage_bytes.resize(out.objects.storages.size());
  for (const Value* key : keys->items) {
    check(key->kind == Kind::String, what, ": a storage key is a ", describe(key), ", expected a str");
    auto found = by_key.find(key->text);
    check(found != by_key.end(), what, ": storage ", printable(key->text), " is listed but no tensor uses it");
    const std::vector<size_t>& records = found->second;
    const DType dtype = out.objects.storages[records.front()].dtype;
    const uint64_t e = static_cast<uint64_t>(element_bytes(dtype));
    check(size - pos >= 8, what, ": the file ends before the size of storage ", printable(key->text),
          " (truncated file)");
    uint64_t count = 0;
    for (int i = 0; i < 8; ++i) {
      const uint64_t byte = data[pos + (out.big_endian ? 7 - i : i)];
      count |= byte << (8 * i);
    }
    pos += 8;
    check(count <= (uint64_t{1} << 56) && count * e <= size - pos, what, ": storage ", printable(key->text), " needs ",
          count, " elements of ", dtype_name(dtype), " but only ", size - pos, " bytes remain (truncated file)");
    const uint8_t* root = data + pos;
    pos += static_cast<size_t>(count * e);
    for (size_t i : records) {
      const StorageRecord& rec = out.objects.storages[i];
      check(rec.dtype == dtype, what, ": storage ", printable(key->text), " is used with two element types");
      const uint64_t first = static_cast<uint64_t>(rec.view_offset);
      const uint64_t n = static_cast<uint64_t>(rec.usable_numel());
      check(static_cast<uint64_t>(rec.numel) <= count && first + n <= count, what, ": storage ",
            printable(key->text), " holds ", count, " elements but the pickle uses ", rec.numel,
            " (inconsistent file)");
      out.storage_bytes[i] = StorageBytes{root + first * e, static_cast<size_t>(n * e), owner};
      resolved[i] = true;
    }
  }
  for (size_t i = 0; i < resolved.size(); ++i)
    check(resolved[i], what, ": storage ", printable(out.objects.storages[i].key),
          " is used by the pickle but missing from the file's storage list");
}

}  // namespace fluxgen::torch_pickle
