// The torch.save zip archive (PyTorch >= 1.6): <name>/data.pkl holds the object pickle, whose
// persistent ids name raw storages stored as <name>/data/<key>; <name>/byteorder says "little" or
// "big" (absent in archives older than PyTorch 1.10, which are little-endian).
#include "io/torch_pickle/torch_checkpoint.h"
#include "io/torch_pickle/zip_archive.h"
#include "util/error.h"

namespace fluxgen::torch_pickle {
namespace {

// The record folder: torch names it after the file, and reads whatever the archive uses.
const ZipEntry* find_data_pkl(const ZipArchive& zip, std::string& prefix) {
  const ZipEntry* found = nullptr;
  for (const ZipEntry& e : zip.entries()) {
    constexpr std::string_view kName = "data.pkl";
    if (e.name.size() < kName.size() || e.name.compare(e.name.size() - kName.size(), kName.size(), kName) != 0)
      continue;
    const std::string dir = e.name.substr(0, e.name.size() - kName.size());
    if (!(dir.empty() || (dir.back() == '/' && dir.find('/') == dir.size() - 1))) continue;
    check(found == nullptr, zip.what(), ": the archive holds two object pickles (", printable(found ? found->name : ""),
          " and ", printable(e.name), ")");
    found = &e;
    prefix = dir;
  }
  check(found != nullptr, zip.what(), ": zip archive without data.pkl: not a torch.save checkpoint");
  return found;
}

}  // namespace

void read_zip_format(const uint8_t* data, size_t size, const std::shared_ptr<const void>& owner,
                     const std::string& what, CheckpointContents& out) {
  ZipArchive zip(data, size, what);
  std::string prefix;
  const ZipEntry* pkl = find_data_pkl(zip, prefix);
  const ZipPayload pickle = zip.read(*pkl, /*verify_crc=*/true);

  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    const ZipPayload bo = zip.read(*order, true);
    const std::string value(reinterpret_cast<const char*>(bo.data), bo.size);
    check(value == "little" || value == "big", what, ": byteorder is '", printable(value),
          "', expected 'little' or 'big'");
    out.big_endian = value == "big";
  }

  TorchHost host(out.objects);
  const PickleResult result = run_pickle(pickle.data, pickle.size, *out.arena, host, what + ": " + printable(pkl->name));
  out.root = result.root;

  for (const StorageRecord& rec : out.objects.storages) {
    const std::string name = prefix + "data/" + rec.key;
    const ZipEntry* entry = zip.find(name);
    check(entry != nullptr, what, ": storage ", printable(rec.key), " is referenced by the pickle but ",
          printable(name), " is not in the archive");
    // Storage payloads are not CRC-checked: they may be gigabytes, read lazily through the mapping.
    ZipPayload payload = zip.read(*entry, /*verify_crc=*/false);
    const uint64_t need = static_cast<uint64_t>(rec.numel) * static_cast<uint64_t>(element_bytes(rec.dtype));
    check(payload.size >= need, what, ": storage ", printable(rec.key), " holds ", payload.size,
          " bytes but its persistent id declares ", rec.numel, " elements of ", dtype_name(rec.dtype), " (", need,
          " bytes): truncated or inconsistent file");
    const size_t e = static_cast<size_t>(element_bytes(rec.dtype));
    StorageBytes bytes;
    bytes.data = payload.data + static_cast<size_t>(rec.view_offset) * e;
    bytes.size = static_cast<size_t>(rec.usable_numel()) * e;
    bytes.owner = payload.owned ? std::shared_ptr<const void>(payload.owned) : owner;
    out.storage_bytes.push_back(std::move(bytes));
  }
}

}  // namespace fluxgen::torch_pickle
