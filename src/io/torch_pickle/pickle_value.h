// The objects an unpickled torch checkpoint is made of, as plain data: numbers, strings, containers,
// references to globals (never resolved to code), inert instances of classes fluxgen does not have
// (a pickled nn.Module becomes one, its __dict__ kept as attributes), and torch tensors / storages
// as descriptions to be materialized later from the file's bytes.
//
// Every value lives in an Arena and is referenced by raw pointer: pickles may build reference
// cycles (a list appended to itself), which shared ownership would leak, and one arena makes the
// object count limit exact.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fluxgen::torch_pickle {

enum class Kind : uint8_t {
  None,
  Bool,
  Int,     // fits in int64
  BigInt,  // wider: `text` holds the two's-complement little-endian bytes
  Float,
  String,  // UTF-8
  Bytes,
  Tuple,
  List,
  Dict,    // insertion-ordered, as Python 3.7+ dicts and OrderedDict
  Set,     // set and frozenset
  Global,  // module.name reference: never imported, never called
  Object,  // an inert instance: its class (a Global) and the attributes BUILD gave it
  Opaque,  // a value fluxgen accepts but does not model (a numpy scalar, a torch.device, a slice)
  Storage, // a torch storage (index into the checkpoint's storage table)
  Tensor,  // a torch tensor (index into the checkpoint's tensor table)
};

const char* kind_name(Kind k);

struct Value {
  Kind kind = Kind::None;
  bool flag = false;   // Bool
  int64_t integer = 0; // Int; Storage/Tensor: table index
  double real = 0;     // Float
  // String/Bytes/BigInt payload; Global: the module; Object/Opaque: the class or constructor name.
  std::string text;
  std::string name;            // Global: the attribute name inside the module
  std::vector<Value*> items;   // Tuple, List, Set
  // Dict: items; Object: attributes (its __dict__ after BUILD).
  std::vector<std::pair<Value*, Value*>> entries;
  std::unordered_map<std::string, size_t> index;  // Dict/Object: canonical key -> position in entries
  Value* extra = nullptr;      // Object: BUILD state that was not a dict (kept, unused)

  bool is(Kind k) const { return kind == k; }
  // "module.name" for Globals.
  std::string qualified_name() const { return text + "." + name; }
};

// Limits that keep a hostile pickle from exhausting memory or time. The defaults are far above
// what real checkpoints need (an SDXL checkpoint's pickle has ~100k objects).
struct Limits {
  size_t max_objects = size_t{4} << 20;
  size_t max_memo = size_t{4} << 20;
  size_t max_stack = size_t{1} << 20;
  size_t max_marks = size_t{1} << 16;
  size_t max_depth = 512;              // nesting of containers when walking or hashing values
  size_t max_key_bytes = size_t{1} << 16;  // canonical form of one dict key
  size_t max_tensors = size_t{1} << 22;
};

class Arena {
 public:
  explicit Arena(const Limits& limits = {}) : limits_(limits) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  Value* make(Kind kind);
  Value* make_int(int64_t v);
  Value* make_string(std::string s);
  size_t size() const { return values_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  std::deque<Value> values_;
};

// Dict/Object entries, with Python's key equality for the hashable kinds (None, bool, int, float,
// str, bytes, tuples of those; other objects by identity). Unhashable keys (list, dict, set) throw.
void dict_set(Value* dict, Value* key, Value* value, const Limits& limits);
// The value stored under a string key, or nullptr.
Value* dict_get(const Value* dict, std::string_view key);

// A short description for messages: "str 'abc'", "int 3", "tuple of 4", "object ultralytics.nn.tasks.DetectionModel".
std::string describe(const Value* v);
// Keeps control and non-ASCII bytes out of error messages built from file contents.
std::string printable(std::string_view s, size_t max_len = 120);

}  // namespace fluxgen::torch_pickle
