#include "io/torch_pickle/torch_objects.h"

#include <array>
#include <optional>
#include <string_view>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::torch_pickle {
namespace {

constexpr int64_t kMaxElements = int64_t{1} << 56;

// Protocol-2 pickles written by Python 2 (or for it) spell these modules the old way.
std::string canonical_module(const std::string& module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return module;
}

bool module_is(const std::string& module, std::string_view root) {
  return module == root || (module.size() > root.size() && module.compare(0, root.size(), root) == 0 &&
                            module[root.size()] == '.');
}

// Globals that only exist to run code. Everything not allowlisted is refused when called anyway;
// naming these at GLOBAL time gives the earliest, clearest refusal for the classic payloads.
bool is_dangerous(const std::string& module, const std::string& name) {
  static constexpr std::array<std::string_view, 49> kModules = {
      "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "ctypes",
      "pty", "pickle", "_pickle", "marshal", "code", "codeop", "commands", "webbrowser", "multiprocessing",
      "signal", "pdb", "bdb", "timeit", "platform", "asyncio", "threading", "_thread", "tempfile", "glob",
      "urllib", "http", "ftplib", "smtplib", "telnetlib", "requests", "operator", "functools", "types",
      "inspect", "gc", "ast", "dill", "cloudpickle", "joblib", "torch.hub", "torch.jit", "torch.package",
      "torch.ops", "torch.serialization"};
  for (auto m : kModules)
    if (module_is(module, m)) return true;
  static constexpr std::array<std::string_view, 19> kBuiltins = {
      "eval", "exec", "execfile", "compile", "open", "getattr", "setattr", "delattr", "__import__", "globals",
      "locals", "vars", "input", "breakpoint", "apply", "reload", "file", "exit", "quit"};
  if (module == "builtins")
    for (auto n : kBuiltins)
      if (name == n) return true;
  if (module == "torch" && (name == "load" || name == "save")) return true;
  return false;
}

bool valid_global_part(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
      return false;
  return true;
}

std::optional<DType> storage_type_dtype(const std::string& module, const std::string& name) {
  if (module != "torch" && module != "torch.cuda") return std::nullopt;
  static const std::map<std::string, DType> kTypes = {
      {"FloatStorage", DType::F32}, {"DoubleStorage", DType::F64}, {"HalfStorage", DType::F16},
      {"BFloat16Storage", DType::BF16}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16}, {"CharStorage", DType::I8}, {"ByteStorage", DType::U8},
      {"BoolStorage", DType::BOOL}};
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

bool is_untyped_storage(const std::string& module, const std::string& name) {
  return (module == "torch" || module == "torch.storage") && (name == "UntypedStorage" || name == "_UntypedStorage");
}

std::optional<DType> torch_dtype(const Value* v) {
  if (v->kind != Kind::Global || v->text != "torch") return std::nullopt;
  static const std::map<std::string, DType> kTypes = {
      {"float32", DType::F32}, {"float", DType::F32}, {"float64", DType::F64}, {"double", DType::F64},
      {"float16", DType::F16}, {"half", DType::F16}, {"bfloat16", DType::BF16}, {"int64", DType::I64},
      {"long", DType::I64}, {"int32", DType::I32}, {"int", DType::I32}, {"int16", DType::I16},
      {"short", DType::I16}, {"int8", DType::I8}, {"uint8", DType::U8}, {"bool", DType::BOOL},
      {"uint16", DType::U16}, {"uint32", DType::U32}, {"uint64", DType::U64},
      {"float8_e4m3fn", DType::F8_E4M3}, {"float8_e5m2", DType::F8_E5M2}};
  auto it = kTypes.find(v->name);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

int64_t as_int(const Value* v, const char* what) {
  if (v->kind == Kind::Bool) return v->flag ? 1 : 0;
  check(v->kind == Kind::Int, what, " is a ", describe(v), ", expected an int");
  return v->integer;
}

std::vector<int64_t> as_int_list(const Value* v, const char* what) {
  check(v->kind == Kind::Tuple || v->kind == Kind::List, what, " is a ", describe(v), ", expected a tuple of ints");
  check(v->items.size() <= 64, what, " has ", v->items.size(), " dimensions (more than 64)");
  std::vector<int64_t> out;
  out.reserve(v->items.size());
  for (const Value* item : v->items) out.push_back(as_int(item, what));
  return out;
}

const Value* arg(const Value* args, size_t i, const std::string& fn) {
  check(i < args->items.size(), fn, " needs at least ", i + 1, " arguments, got ", args->items.size());
  return args->items[i];
}

Value* make_container(Arena& arena, Kind kind, const Value* source, const std::string& fn) {
  Value* out = arena.make(kind);
  if (source == nullptr) return out;
  if (kind == Kind::Dict) {
    if (source->kind == Kind::Dict) {
      for (const auto& [k, v] : source->entries) dict_set(out, k, v, arena.limits());
      return out;
    }
    check(source->kind == Kind::List || source->kind == Kind::Tuple, fn, " expects key/value pairs, got ",
          describe(source));
    for (const Value* pair : source->items) {
      check(pair->kind == Kind::Tuple || pair->kind == Kind::List, fn, " expects key/value pairs, got ", describe(pair));
      check(pair->items.size() == 2, fn, " expects key/value pairs, got a ", describe(pair));
      dict_set(out, pair->items[0], pair->items[1], arena.limits());
    }
    return out;
  }
  check(source->kind == Kind::List || source->kind == Kind::Tuple || source->kind == Kind::Set, fn,
        " expects a sequence, got ", describe(source));
  out->items = source->items;
  return out;
}

Value* opaque(Arena& arena, const std::string& what) {
  Value* v = arena.make(Kind::Opaque);
  v->text = what;
  return v;
}

}  // namespace

int64_t element_bytes(DType t) { return dtype_bits(t) / 8; }

int64_t storage_elements(const StorageRecord& record, DType dtype) {
  const int64_t available = record.usable_numel();
  if (record.dtype == dtype) return available;
  // An untyped (byte) storage viewed as `dtype`.
  return available * element_bytes(record.dtype) / element_bytes(dtype);
}

Value* TorchHost::global(Arena& arena, const std::string& raw_module, const std::string& name) {
  check(valid_global_part(raw_module) && valid_global_part(name), "malformed global name '", printable(raw_module),
        ".", printable(name), "'");
  const std::string module = canonical_module(raw_module);
  if (is_dangerous(module, name))
    fail("refusing global ", raw_module, ".", name,
         ": it can run code, and fluxgen reads checkpoints as data only (nothing in the file was executed)");
  Value* g = arena.make(Kind::Global);
  g->text = module;
  g->name = name;
  return g;
}

Value* TorchHost::call(Arena& arena, Value* callable, Value* args) {
  check(callable->kind == Kind::Global, "REDUCE calls a ", describe(callable),
        "; only allowlisted torch/collections constructors can be rebuilt");
  const std::string fn = callable->qualified_name();
  const std::string& module = callable->text;
  const std::string& name = callable->name;

  if (module == "torch._utils") {
    if (name == "_rebuild_tensor" || name == "_rebuild_tensor_v2" || name == "_rebuild_tensor_v3")
      return rebuild_tensor(arena, fn, args);
    if (name == "_rebuild_parameter" || name == "_rebuild_parameter_with_state") {
      Value* data = args->items.empty() ? nullptr : args->items[0];
      check(data != nullptr && data->kind == Kind::Tensor, fn, " expects a tensor, got ",
            data ? describe(data) : std::string("no arguments"));
      return data;  // requires_grad, hooks and Python state do not matter for inference
    }
    if (name == "_rebuild_from_type_v2") {
      // (func, new_type, args, state): a tensor subclass; rebuild the plain tensor with func.
      Value* func = const_cast<Value*>(arg(args, 0, fn));
      Value* inner = const_cast<Value*>(arg(args, 2, fn));
      check(inner->kind == Kind::Tuple, fn, " expects an argument tuple, got ", describe(inner));
      check(nested_calls_ < 4, fn, " nests too deeply");
      struct Depth {
        int& n;
        explicit Depth(int& d) : n(++d) {}
        ~Depth() { --n; }
      } depth(nested_calls_);
      Value* out = call(arena, func, inner);
      check(out->kind == Kind::Tensor, fn, " rebuilt a ", describe(out), ", expected a tensor");
      return out;
    }
    if (name.rfind("_rebuild_", 0) == 0)
      fail(fn, " (quantized, sparse, nested, meta or device-only tensors) is not supported");
  }
  if (module == "collections" && name == "OrderedDict")
    return make_container(arena, Kind::Dict, args->items.empty() ? nullptr : args->items[0], fn);
  if (module == "builtins") {
    const Value* first = args->items.empty() ? nullptr : args->items[0];
    if (name == "dict") return make_container(arena, Kind::Dict, first, fn);
    if (name == "set" || name == "frozenset") return make_container(arena, Kind::Set, first, fn);
    if (name == "list") return make_container(arena, Kind::List, first, fn);
    if (name == "tuple") return make_container(arena, Kind::Tuple, first, fn);
    if (name == "slice" || name == "complex" || name == "bytearray" || name == "range") return opaque(arena, fn);
  }
  if (module == "torch" && name == "Size") {
    Value* out = arena.make(Kind::Tuple);
    const Value* dims = arg(args, 0, fn);
    for (int64_t d : as_int_list(dims, "torch.Size")) out->items.push_back(arena.make_int(d));
    return out;
  }
  if (module == "torch" && name == "device") return opaque(arena, fn);
  if (module == "_codecs" && name == "encode") {
    // Protocol 2 spells Python 3 bytes as _codecs.encode(text, "latin1"): decode the code points.
    const Value* text = arg(args, 0, fn);
    const Value* codec = arg(args, 1, fn);
    check(text->kind == Kind::String && codec->kind == Kind::String &&
              (codec->text == "latin1" || codec->text == "latin-1"),
          fn, " is only supported as (str, 'latin1')");
    Value* out = arena.make(Kind::Bytes);
    const std::string& s = text->text;
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<uint8_t>(s[i]);
      if (c < 0x80) {
        out->text += static_cast<char>(c);
      } else {
        check((c == 0xc2 || c == 0xc3) && i + 1 < s.size(), fn, ": text is not latin-1");
        out->text += static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(s[++i]) & 0x3f));
      }
    }
    return out;
  }
  // Plain data from numpy and pathlib that checkpoints carry in their metadata (a numpy float for
  // "best_fitness", a Path in training arguments): accepted, kept opaque, never constructed.
  if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") &&
      (name == "scalar" || name == "_reconstruct"))
    return opaque(arena, fn);
  if (module == "numpy" && name == "dtype") return opaque(arena, fn);
  if (module == "pathlib" && (name == "Path" || name == "PosixPath" || name == "WindowsPath" ||
                              name == "PurePosixPath" || name == "PureWindowsPath"))
    return opaque(arena, fn);
  if (module == "copyreg" && name == "_reconstructor") {
    // Protocol 0/1 instances: (cls, object, state) -> an inert instance of cls.
    Value* cls = const_cast<Value*>(arg(args, 0, fn));
    const Value* base = arg(args, 1, fn);
    check(base->kind == Kind::Global && base->qualified_name() == "builtins.object", fn,
          " is only supported with base builtins.object, got ", describe(base));
    return instantiate(arena, cls, arena.make(Kind::Tuple), nullptr);
  }
  fail("refusing to call ", fn,
       ": only allowlisted torch/collections constructors can be rebuilt, and fluxgen never runs code from a "
       "checkpoint (nothing in the file was executed)");
}

Value* TorchHost::instantiate(Arena& arena, Value* cls, Value* args, Value* kwargs) {
  (void)args;
  (void)kwargs;
  check(cls->kind == Kind::Global, "NEWOBJ instantiates a ", describe(cls), ", expected a class");
  const std::string fn = cls->qualified_name();
  if (fn == "collections.OrderedDict" || fn == "builtins.dict") return arena.make(Kind::Dict);
  if (fn == "builtins.set" || fn == "builtins.frozenset") return arena.make(Kind::Set);
  if (fn == "builtins.list") return arena.make(Kind::List);
  // Any other class becomes an inert record of its name and, after BUILD, its attributes. Its
  // __new__/__init__/__setstate__ never run: there is nothing here that could run them.
  Value* obj = arena.make(Kind::Object);
  obj->text = fn;
  return obj;
}

Value* TorchHost::persistent_load(Arena& arena, Value* pid) {
  check(pid->kind == Kind::Tuple && !pid->items.empty() && pid->items[0]->kind == Kind::String &&
            pid->items[0]->text == "storage",
        "persistent id ", describe(pid), " is not a torch storage reference");
  check(pid->items.size() == 5 || pid->items.size() == 6, "storage persistent id has ", pid->items.size(),
        " fields, expected 5 (zip format) or 6 (legacy format)");
  const Value* type = pid->items[1];
  check(type->kind == Kind::Global, "storage type is a ", describe(type), ", expected a torch storage class");
  StorageRecord rec;
  if (auto dt = storage_type_dtype(type->text, type->name)) {
    rec.dtype = *dt;
  } else if (is_untyped_storage(type->text, type->name)) {
    rec.dtype = DType::U8;
  } else {
    fail("storage type ", type->qualified_name(), " is not supported");
  }
  const Value* key = pid->items[2];
  check(key->kind == Kind::String && !key->text.empty() && key->text.size() <= 256, "storage key is a ",
        describe(key), ", expected a short string");
  rec.key = key->text;
  rec.numel = as_int(pid->items[4], "storage size");
  check(rec.numel >= 0 && rec.numel <= kMaxElements, "storage ", printable(rec.key), " declares ", rec.numel,
        " elements");
  std::string identity = "root:" + rec.key;
  if (pid->items.size() == 6 && pid->items[5]->kind != Kind::None) {
    const Value* view = pid->items[5];
    check(view->kind == Kind::Tuple && view->items.size() == 3 && view->items[0]->kind == Kind::String,
          "storage view metadata is a ", describe(view), ", expected (key, offset, size)");
    rec.view_offset = as_int(view->items[1], "storage view offset");
    rec.view_numel = as_int(view->items[2], "storage view size");
    check(rec.view_offset >= 0 && rec.view_numel >= 0 && rec.view_offset <= rec.numel &&
              rec.view_numel <= rec.numel - rec.view_offset,
          "storage view [", rec.view_offset, ", +", rec.view_numel, ") lies outside storage ", printable(rec.key),
          " of ", rec.numel, " elements");
    identity = "view:" + view->items[0]->text;
  }
  auto it = objects_.storage_index.find(identity);
  size_t index;
  if (it != objects_.storage_index.end()) {
    index = it->second;
    const StorageRecord& prev = objects_.storages[index];
    check(prev.dtype == rec.dtype && prev.numel == rec.numel && prev.key == rec.key, "storage ",
          printable(rec.key), " is referenced with different types or sizes");
  } else {
    check(objects_.storages.size() < arena.limits().max_tensors, "more than ", arena.limits().max_tensors,
          " storages");
    index = objects_.storages.size();
    objects_.storages.push_back(rec);
    objects_.storage_index.emplace(identity, index);
  }
  Value* out = arena.make(Kind::Storage);
  out->integer = static_cast<int64_t>(index);
  return out;
}

Value* TorchHost::rebuild_tensor(Arena& arena, const std::string& fn, Value* args) {
  const Value* storage = arg(args, 0, fn);
  check(storage->kind == Kind::Storage, fn, " expects a storage, got ", describe(storage));
  const StorageRecord& rec = objects_.storages.at(static_cast<size_t>(storage->integer));
  TensorRecord t;
  t.storage = static_cast<size_t>(storage->integer);
  t.dtype = rec.dtype;
  if (fn == "torch._utils._rebuild_tensor_v3") {
    const Value* dtype = arg(args, 6, fn);
    auto dt = torch_dtype(dtype);
    check(dt.has_value(), fn, ": tensor dtype ", describe(dtype), " is not supported");
    t.dtype = *dt;
  }
  t.offset = as_int(arg(args, 1, fn), "storage offset");
  t.shape = as_int_list(arg(args, 2, fn), "tensor size");
  t.stride = as_int_list(arg(args, 3, fn), "tensor stride");
  check(t.stride.size() == t.shape.size(), fn, ": ", t.shape.size(), " sizes but ", t.stride.size(), " strides");
  check(t.offset >= 0, fn, ": negative storage offset ", t.offset);
  int64_t numel = 1;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    check(t.shape[d] >= 0, fn, ": negative size ", t.shape[d]);
    check(t.stride[d] >= 0, fn, ": negative stride ", t.stride[d], " is not supported");
    check(!__builtin_mul_overflow(numel, t.shape[d], &numel) && numel <= kMaxElements, fn, ": size ",
          shape_string(t.shape), " is absurdly large");
  }
  if (numel > 0) {
    // The last element a view touches must lie inside its storage.
    int64_t last = t.offset;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t span;
      check(!__builtin_mul_overflow(t.shape[d] - 1, t.stride[d], &span) && !__builtin_add_overflow(last, span, &last),
            fn, ": strides overflow");
    }
    const int64_t available = storage_elements(rec, t.dtype);
    check(last < available, fn, ": a tensor of size ", shape_string(t.shape), ", stride ", shape_string(t.stride),
          " at offset ", t.offset, " reaches element ", last, " of storage ", printable(rec.key), ", which holds ",
          available);
  }
  check(objects_.tensors.size() < arena.limits().max_tensors, "more than ", arena.limits().max_tensors, " tensors");
  objects_.tensors.push_back(std::move(t));
  Value* out = arena.make(Kind::Tensor);
  out->integer = static_cast<int64_t>(objects_.tensors.size() - 1);
  return out;
}

}  // namespace fluxgen::torch_pickle
