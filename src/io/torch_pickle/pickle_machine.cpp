#include "io/torch_pickle/pickle_machine.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "util/error.h"

namespace fluxgen::torch_pickle {
namespace {

const char* opcode_name(uint8_t op) {
  switch (op) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return nullptr;
  }
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, Arena& arena, Host& host)
      : data_(data), size_(size), arena_(arena), host_(host), limits_(arena.limits()) {}

  PickleResult run() {
    for (;;) {
      op_pos_ = pos_;
      check(pos_ < size_, "the pickle ends before its STOP opcode (truncated file)");
      op_ = data_[pos_++];
      if (op_ == '.') {
        PickleResult r;
        r.root = pop();
        r.consumed = pos_;
        return r;
      }
      step();
    }
  }

  size_t op_pos() const { return op_pos_; }
  uint8_t op() const { return op_; }

 private:
  // ---- reading operands (every read is bounds-checked) ----
  void need(uint64_t n) const {
    if (n > size_ - pos_) fail("the pickle ends in the middle of this opcode's operand (truncated file)");
  }
  uint64_t read_le(int bytes) {
    need(bytes);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += bytes;
    return v;
  }
  std::string read_bytes(uint64_t n) {
    need(n);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string read_line() {
    const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
    check(nl != nullptr, "the pickle ends in the middle of a text operand (truncated file)");
    const size_t end = static_cast<const uint8_t*>(nl) - data_;
    std::string s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    if (!s.empty() && s.back() == '\r') s.pop_back();
    return s;
  }
  uint64_t read_decimal_line() {
    const std::string s = read_line();
    check(!s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos,
          "bad decimal operand '", printable(s), "'");
    return std::strtoull(s.c_str(), nullptr, 10);
  }

  // ---- the stack ----
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Value* v) {
    check(stack_.size() < limits_.max_stack, "the pickle stack grows beyond ", limits_.max_stack,
          " entries (limit reached)");
    stack_.push_back(v);
  }
  Value* pop() {
    check(stack_.size() > floor(), "stack underflow (the opcode needs a value that is not there)");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() const {
    check(stack_.size() > floor(), "stack underflow (the opcode needs a value that is not there)");
    return stack_.back();
  }
  std::vector<Value*> pop_mark() {
    check(!marks_.empty(), "no MARK before this opcode");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  // ---- the memo ----
  void memo_put(uint64_t index) {
    Value* v = top();
    if (memo_.find(index) == memo_.end())
      check(memo_.size() < limits_.max_memo, "the pickle memo grows beyond ", limits_.max_memo,
            " entries (limit reached)");
    memo_[index] = v;
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    check(it != memo_.end(), "memo index ", index, " was never stored (memo index out of range)");
    push(it->second);
  }

  // ---- values ----
  Value* make_tuple(std::vector<Value*> items) {
    Value* t = arena_.make(Kind::Tuple);
    t->items = std::move(items);
    return t;
  }
  Value* make_long(const std::string& le_bytes) {
    if (le_bytes.size() <= 8) {
      uint64_t v = 0;
      for (size_t i = 0; i < le_bytes.size(); ++i) v |= uint64_t{static_cast<uint8_t>(le_bytes[i])} << (8 * i);
      // Sign-extend from the top byte.
      if (!le_bytes.empty() && le_bytes.size() < 8 && (static_cast<uint8_t>(le_bytes.back()) & 0x80))
        v |= ~uint64_t{0} << (8 * le_bytes.size());
      int64_t s;
      std::memcpy(&s, &v, sizeof s);
      return arena_.make_int(s);
    }
    Value* big = arena_.make(Kind::BigInt);
    big->text = le_bytes;
    return big;
  }
  static Value* expect(Value* v, Kind kind, const char* role) {
    check(v->kind == kind, role, " is a ", describe(v), ", expected a ", kind_name(kind));
    return v;
  }

  void set_items(Value* dict, const std::vector<Value*>& items) {
    check(items.size() % 2 == 0, "odd number of items (", items.size(), ") for a dict");
    for (size_t i = 0; i < items.size(); i += 2) dict_set(dict, items[i], items[i + 1], limits_);
  }

  void build(Value* inst, Value* state) {
    if (inst->kind != Kind::Object) {
      // Python attributes set on tensors, dicts or opaque values carry nothing fluxgen reads.
      check(inst->kind == Kind::Tensor || inst->kind == Kind::Dict || inst->kind == Kind::Opaque ||
                inst->kind == Kind::List || inst->kind == Kind::Set || inst->kind == Kind::Storage,
            "BUILD applied to a ", describe(inst));
      return;
    }
    Value* dict_state = state;
    Value* slot_state = nullptr;
    if (state->kind == Kind::Tuple && state->items.size() == 2) {
      dict_state = state->items[0];
      slot_state = state->items[1];
    }
    for (Value* part : {dict_state, slot_state}) {
      if (part == nullptr || part->kind == Kind::None) continue;
      if (part->kind == Kind::Dict) {
        for (const auto& [k, v] : part->entries) dict_set(inst, k, v, limits_);
      } else {
        inst->extra = part;
      }
    }
  }

  void step() {
    switch (op_) {
      case 0x80: {  // PROTO
        const uint64_t proto = read_le(1);
        check(proto <= 5, "unsupported pickle protocol ", proto, " (fluxgen reads protocols 0-5)");
        return;
      }
      case 0x95: {  // FRAME: a hint for buffering, its length only needs to be plausible
        const uint64_t n = read_le(8);
        check(n <= size_ - pos_, "a FRAME declares ", n, " bytes but only ", size_ - pos_,
              " remain (truncated file)");
        return;
      }
      case '(':
        check(marks_.size() < limits_.max_marks, "more than ", limits_.max_marks, " nested MARKs (limit reached)");
        marks_.push_back(stack_.size());
        return;
      case '0':
        if (stack_.size() > floor())
          stack_.pop_back();
        else
          pop_mark();
        return;
      case '1': pop_mark(); return;
      case '2': push(top()); return;
      case 'N': push(arena_.make(Kind::None)); return;
      case 0x88:
      case 0x89: {
        Value* b = arena_.make(Kind::Bool);
        b->flag = op_ == 0x88;
        push(b);
        return;
      }
      case 'J': {
        const auto u = static_cast<uint32_t>(read_le(4));
        int32_t s;
        std::memcpy(&s, &u, sizeof s);
        push(arena_.make_int(s));
        return;
      }
      case 'K': push(arena_.make_int(static_cast<int64_t>(read_le(1)))); return;
      case 'M': push(arena_.make_int(static_cast<int64_t>(read_le(2)))); return;
      case 0x8a: {
        const uint64_t n = read_le(1);
        push(make_long(read_bytes(n)));
        return;
      }
      case 0x8b: {
        const auto u = static_cast<uint32_t>(read_le(4));
        int32_t n;
        std::memcpy(&n, &u, sizeof n);
        check(n >= 0, "LONG4 with negative length ", n);
        push(make_long(read_bytes(static_cast<uint64_t>(n))));
        return;
      }
      case 'I': {
        const std::string s = read_line();
        if (s == "00" || s == "01") {
          Value* b = arena_.make(Kind::Bool);
          b->flag = s == "01";
          push(b);
          return;
        }
        push(arena_.make_int(parse_int(s)));
        return;
      }
      case 'L': {
        std::string s = read_line();
        if (!s.empty() && s.back() == 'L') s.pop_back();
        push(arena_.make_int(parse_int(s)));
        return;
      }
      case 'F': {
        const std::string s = read_line();
        char* end = nullptr;
        errno = 0;
        const double d = std::strtod(s.c_str(), &end);
        check(!s.empty() && end == s.c_str() + s.size(), "bad FLOAT operand '", printable(s), "'");
        Value* f = arena_.make(Kind::Float);
        f->real = d;
        push(f);
        return;
      }
      case 'G': {
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | data_[pos_ + i];  // big-endian
        pos_ += 8;
        Value* f = arena_.make(Kind::Float);
        std::memcpy(&f->real, &bits, sizeof bits);
        push(f);
        return;
      }
      case 'X': push(arena_.make_string(read_bytes(read_le(4)))); return;
      case 0x8c: push(arena_.make_string(read_bytes(read_le(1)))); return;
      case 0x8d: push(arena_.make_string(read_bytes(read_le(8)))); return;
      case 'T': {
        const auto u = static_cast<uint32_t>(read_le(4));
        int32_t n;
        std::memcpy(&n, &u, sizeof n);
        check(n >= 0, "BINSTRING with negative length ", n);
        push(arena_.make_string(read_bytes(static_cast<uint64_t>(n))));
        return;
      }
      case 'U': push(arena_.make_string(read_bytes(read_le(1)))); return;
      case 'B':
      case 'C':
      case 0x8e:
      case 0x96: {
        const int width = op_ == 'B' ? 4 : op_ == 'C' ? 1 : 8;
        Value* b = arena_.make(Kind::Bytes);
        b->text = read_bytes(read_le(width));
        push(b);
        return;
      }
      case ')': push(make_tuple({})); return;
      case 't': push(make_tuple(pop_mark())); return;
      case 0x85:
      case 0x86:
      case 0x87: {
        const size_t n = op_ - 0x84u;
        std::vector<Value*> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(make_tuple(std::move(items)));
        return;
      }
      case ']': push(arena_.make(Kind::List)); return;
      case 'l': {
        Value* l = arena_.make(Kind::List);
        l->items = pop_mark();
        push(l);
        return;
      }
      case 'a': {
        Value* item = pop();
        Value* list = expect(top(), Kind::List, "the APPEND target");
        list->items.push_back(item);
        return;
      }
      case 'e': {
        std::vector<Value*> items = pop_mark();
        Value* list = expect(top(), Kind::List, "the APPENDS target");
        list->items.insert(list->items.end(), items.begin(), items.end());
        return;
      }
      case '}': push(arena_.make(Kind::Dict)); return;
      case 'd': {
        std::vector<Value*> items = pop_mark();
        Value* d = arena_.make(Kind::Dict);
        set_items(d, items);
        push(d);
        return;
      }
      case 's': {
        Value* v = pop();
        Value* k = pop();
        Value* d = expect(top(), Kind::Dict, "the SETITEM target");
        dict_set(d, k, v, limits_);
        return;
      }
      case 'u': {
        std::vector<Value*> items = pop_mark();
        Value* d = expect(top(), Kind::Dict, "the SETITEMS target");
        set_items(d, items);
        return;
      }
      case 0x8f: push(arena_.make(Kind::Set)); return;
      case 0x90: {
        std::vector<Value*> items = pop_mark();
        Value* s = expect(top(), Kind::Set, "the ADDITEMS target");
        s->items.insert(s->items.end(), items.begin(), items.end());
        return;
      }
      case 0x91: {
        Value* s = arena_.make(Kind::Set);
        s->items = pop_mark();
        push(s);
        return;
      }
      case 'c': {
        const std::string module = read_line();
        const std::string name = read_line();
        push(host_.global(arena_, module, name));
        return;
      }
      case 0x93: {
        Value* name = expect(pop(), Kind::String, "the STACK_GLOBAL name");
        Value* module = expect(pop(), Kind::String, "the STACK_GLOBAL module");
        push(host_.global(arena_, module->text, name->text));
        return;
      }
      case 'R': {
        Value* args = pop();
        Value* callable = pop();
        expect(args, Kind::Tuple, "the REDUCE argument");
        push(host_.call(arena_, callable, args));
        return;
      }
      case 'i': {
        const std::string module = read_line();
        const std::string name = read_line();
        Value* args = make_tuple(pop_mark());
        Value* cls = host_.global(arena_, module, name);
        push(host_.call(arena_, cls, args));
        return;
      }
      case 'o': {
        std::vector<Value*> items = pop_mark();
        check(!items.empty(), "OBJ without a class");
        Value* cls = items.front();
        Value* args = make_tuple(std::vector<Value*>(items.begin() + 1, items.end()));
        push(host_.call(arena_, cls, args));
        return;
      }
      case 0x81: {
        Value* args = expect(pop(), Kind::Tuple, "the NEWOBJ argument");
        Value* cls = pop();
        push(host_.instantiate(arena_, cls, args, nullptr));
        return;
      }
      case 0x92: {
        Value* kwargs = expect(pop(), Kind::Dict, "the NEWOBJ_EX keyword arguments");
        Value* args = expect(pop(), Kind::Tuple, "the NEWOBJ_EX argument");
        Value* cls = pop();
        push(host_.instantiate(arena_, cls, args, kwargs));
        return;
      }
      case 'b': {
        Value* state = pop();
        build(top(), state);
        return;
      }
      case 'p': memo_put(read_decimal_line()); return;
      case 'q': memo_put(read_le(1)); return;
      case 'r': memo_put(read_le(4)); return;
      case 0x94: memo_put(memo_.size()); return;
      case 'g': memo_get(read_decimal_line()); return;
      case 'h': memo_get(read_le(1)); return;
      case 'j': memo_get(read_le(4)); return;
      case 'Q': {
        Value* pid = pop();
        push(host_.persistent_load(arena_, pid));
        return;
      }
      case 'P': push(host_.persistent_load(arena_, arena_.make_string(read_line()))); return;
      case 'S':
      case 'V':
        fail("protocol-0 text strings are not supported (torch writes binary pickles, protocol 2 or later)");
      case 0x82:
      case 0x83:
      case 0x84: fail("extension-registry codes are not supported (they name code to run)");
      case 0x97:
      case 0x98: fail("out-of-band pickle buffers are not supported");
      default: fail("unknown pickle opcode 0x", hex(op_));
    }
  }

  static std::string hex(uint8_t b) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%02x", b);
    return buf;
  }
  static int64_t parse_int(const std::string& s) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    check(!s.empty() && end == s.c_str() + s.size() && errno == 0, "bad integer operand '", printable(s), "'");
    return v;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  uint8_t op_ = 0;
  Arena& arena_;
  Host& host_;
  const Limits& limits_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
};

}  // namespace

PickleResult run_pickle(const uint8_t* data, size_t size, Arena& arena, Host& host, const std::string& what) {
  Machine m(data, size, arena, host);
  try {
    return m.run();
  } catch (const Error& e) {
    if (m.op_pos() >= size) fail(what, ": ", e.what());
    const char* name = opcode_name(m.op());
    fail(what, ": byte ", m.op_pos(), " (", name ? name : "unknown opcode", "): ", e.what());
  }
}

}  // namespace fluxgen::torch_pickle
