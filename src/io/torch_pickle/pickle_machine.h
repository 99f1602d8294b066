// The pickle virtual machine, as data only: it decodes the opcodes of protocols 2-5 (and the
// numeric ones of protocols 0-1) onto a stack of arena Values. Everything that would touch code in
// Python — looking up a global, calling it (REDUCE, INST/OBJ), instantiating a class (NEWOBJ),
// resolving a persistent id — goes to a Host, which decides what is allowed and what it means.
// The machine itself never executes anything and bounds memo, stack, marks and objects.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/torch_pickle/pickle_value.h"

namespace fluxgen::torch_pickle {

class Host {
 public:
  virtual ~Host() = default;
  // GLOBAL / STACK_GLOBAL: a reference to module.name (refused here when the name is dangerous).
  virtual Value* global(Arena& arena, const std::string& module, const std::string& name) = 0;
  // REDUCE (and INST/OBJ): callable(*args), for the callables the host allows.
  virtual Value* call(Arena& arena, Value* callable, Value* args) = 0;
  // NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args, **kwargs).
  virtual Value* instantiate(Arena& arena, Value* cls, Value* args, Value* kwargs) = 0;
  // PERSID / BINPERSID.
  virtual Value* persistent_load(Arena& arena, Value* pid) = 0;
};

struct PickleResult {
  Value* root = nullptr;
  size_t consumed = 0;  // bytes up to and including STOP
};

// Runs one pickle starting at data[0] until its STOP. Errors (fluxgen::Error) name the byte offset
// and opcode; `what` ("model.pth: data.pkl") prefixes them.
PickleResult run_pickle(const uint8_t* data, size_t size, Arena& arena, Host& host, const std::string& what);

}  // namespace fluxgen::torch_pickle
