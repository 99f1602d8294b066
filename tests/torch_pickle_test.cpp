// The data-only torch checkpoint reader: the fixture files (tests/fixtures/pickles) against
// expected.safetensors, hostile and truncated files, and pickles written byte by byte here for
// every malformed-input case and every opcode torch files use.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>

#include "io/safetensors.h"
#include "io/tensor_store.h"
#include "io/torch_pickle/pickle_machine.h"
#include "io/torch_pickle/torch_checkpoint.h"
#include "io/torch_pickle/torch_store.h"
#include "io/torch_pickle/zip_archive.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "torch_pickle_builders.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using test::error_of;

using test::fixture;
using test::PickleWriter;

std::shared_ptr<TensorStore> store_from(const std::string& bytes, const torch_pickle::Limits& limits = {}) {
  return torch_checkpoint_store_from_bytes(std::make_shared<const std::string>(bytes), "test.pt", limits);
}


std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void expect_bit_exact(const Tensor& got, const Tensor& want, const std::string& name) {
  ASSERT_EQ(got.dtype(), want.dtype()) << name;
  ASSERT_EQ(got.shape(), want.shape()) << name;
  ASSERT_EQ(got.nbytes(), want.nbytes()) << name;
  EXPECT_EQ(std::memcmp(got.raw_data(), want.raw_data(), got.nbytes()), 0) << name << " differs";
}

// Checks that `file` yields exactly the expected tensors whose names start with `expected_prefix`
// (with that prefix replaced by `store_prefix`), bit for bit.
void expect_matches_expected(const std::string& file, const std::string& expected_prefix,
                             const std::string& store_prefix, bool plain_names_only) {
  const auto expected = SafetensorsFile::open(fixture("pickles/expected.safetensors"));
  const auto store = open_tensor_store(fixture("pickles/" + file));
  std::set<std::string> want;
  for (const auto& e : expected->entries()) {
    const bool prefixed = e.name.rfind("module_tree/", 0) == 0;
    if (plain_names_only ? prefixed : e.name.rfind(expected_prefix, 0) != 0) continue;
    want.insert(store_prefix + e.name.substr(expected_prefix.size()));
  }
  ASSERT_FALSE(want.empty());
  const auto names = store->names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), want) << file;
  for (const auto& name : want) {
    if (!store->contains(name)) continue;
    const std::string expected_name = expected_prefix + name.substr(store_prefix.size());
    expect_bit_exact(store->get(name), expected->get(expected_name), file + ": " + name);
    EXPECT_EQ(store->shape(name), expected->find(expected_name)->shape);
    EXPECT_EQ(store->dtype(name), expected->find(expected_name)->dtype);
  }
}

TEST(TorchPickleFixtures, StateDictZip) { expect_matches_expected("state_dict.pt", "", "", true); }
TEST(TorchPickleFixtures, NestedParamsEma) { expect_matches_expected("nested.pth", "", "params_ema.", true); }
TEST(TorchPickleFixtures, LegacyFormat) { expect_matches_expected("legacy.pt", "", "", true); }
TEST(TorchPickleFixtures, ModuleTree) { expect_matches_expected("module_tree.pt", "module_tree/", "", false); }

TEST(TorchPickleFixtures, ViewsSharingOneStorageAreMaterializedContiguously) {
  const auto store = open_tensor_store(fixture("pickles/state_dict.pt"));
  // e.view_t is a transposed (8, 6) view, e.slice a (2, 6) slice at offset 17 of the same storage.
  const auto t = to_vector(store->get("e.view_t"));
  const auto s = to_vector(store->get("e.slice"));
  // Both view one 48-element storage: view_t[i][j] = storage[i + 8 j]; slice[i][j] = storage[17 + 8 i + j].
  // slice[0][1] = storage[18] = view_t[2][2].
  EXPECT_EQ(s[1], t[2 * 6 + 2]);
}

void expect_nothing_executed() {
  EXPECT_FALSE(std::filesystem::exists("/tmp/PWNED_BY_PICKLE")) << "the hostile payload ran";
}

TEST(TorchPickleHostile, SystemCallIsRefusedAndNotExecuted) {
  std::filesystem::remove("/tmp/PWNED_BY_PICKLE");
  const std::string msg = error_of([] { open_tensor_store(fixture("pickles/hostile_system.pt")); });
  EXPECT_NE(msg.find("posix.system"), std::string::npos) << msg;
  EXPECT_NE(msg.find("refusing"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hostile_system.pt"), std::string::npos) << msg;
  expect_nothing_executed();
}

TEST(TorchPickleHostile, EvalIsRefusedAndNotExecuted) {
  std::filesystem::remove("/tmp/PWNED_BY_PICKLE");
  const std::string msg = error_of([] { open_tensor_store(fixture("pickles/hostile_eval.pt")); });
  EXPECT_NE(msg.find("__builtin__.eval"), std::string::npos) << msg;
  expect_nothing_executed();
}

TEST(TorchPickleHostile, TruncatedFileIsRefused) {
  const std::string msg = error_of([] { open_tensor_store(fixture("pickles/truncated.pt")); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated.pt"), std::string::npos) << msg;
}

TEST(TorchPickleHostile, EveryPrefixOfARealFileFailsCleanly) {
  const std::string bytes = read_file(fixture("pickles/state_dict.pt"));
  for (size_t n = 0; n < bytes.size(); n += 7) {
    const std::string cut = bytes.substr(0, n);
    EXPECT_THROW(store_from(cut), Error) << n;
  }
  const std::string legacy = read_file(fixture("pickles/legacy.pt"));
  for (size_t n = 0; n < legacy.size(); n += 5) EXPECT_THROW(store_from(legacy.substr(0, n)), Error) << n;
}

// ---- hand-written pickles ----

std::string run_error(const std::string& pickle) {
  return error_of([&] { store_from(test::make_torch_zip(pickle, {})); });
}

TEST(TorchPickleMalformed, UnknownOpcode) {
  const std::string msg = run_error(PickleWriter().proto(2).op(0xff).stop().bytes());
  EXPECT_NE(msg.find("unknown pickle opcode 0xff"), std::string::npos) << msg;
  EXPECT_NE(msg.find("byte 2"), std::string::npos) << msg;
}

TEST(TorchPickleMalformed, MemoIndexOutOfRange) {
  const std::string msg = run_error(PickleWriter().proto(2).op('}').op('h').byte(7).stop().bytes());
  EXPECT_NE(msg.find("memo index 7"), std::string::npos) << msg;
  const std::string msg4 = run_error(PickleWriter().proto(2).op('j').u32(0xFFFFFFF0u).stop().bytes());
  EXPECT_NE(msg4.find("memo index 4294967280"), std::string::npos) << msg4;
}

TEST(TorchPickleMalformed, StackUnderflow) {
  EXPECT_NE(run_error(PickleWriter().proto(2).op('s').stop().bytes()).find("stack underflow"), std::string::npos);
  EXPECT_NE(run_error(PickleWriter().proto(2).op('.').bytes()).find("stack underflow"), std::string::npos);
  // Values below a MARK are not visible to opcodes above it.
  EXPECT_NE(run_error(PickleWriter().proto(2).op('}').mark().op('a').stop().bytes()).find("stack underflow"),
            std::string::npos);
  EXPECT_NE(run_error(PickleWriter().proto(2).op('t').stop().bytes()).find("no MARK"), std::string::npos);
}

TEST(TorchPickleMalformed, HugeDeclaredSizes) {
  // A string claiming 4 GiB in a tiny file.
  std::string msg = run_error(PickleWriter().proto(2).op('X').u32(0xFFFFFFF0u).raw("abc").stop().bytes());
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = run_error(PickleWriter().proto(4).op(0x8e).u64(~uint64_t{0}).stop().bytes());
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  msg = run_error(PickleWriter().proto(4).op(0x95).u64(uint64_t{1} << 40).stop().bytes());
  EXPECT_NE(msg.find("FRAME"), std::string::npos) << msg;
  // A tensor whose sizes multiply past any storage.
  PickleWriter w;
  w.proto(2).op('}').str("t").tensor("FloatStorage", "0", 4, 0, {1 << 30, 1 << 30, 1 << 30}, {1, 1, 1}).op('s').stop();
  msg = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {{"0", test::f32_bytes({1, 2, 3, 4})}})); });
  EXPECT_NE(msg.find("absurdly large"), std::string::npos) << msg;
  // A storage whose declared element count is absurd.
  PickleWriter w2;
  w2.proto(2).op('}').str("t").tensor("FloatStorage", "0", int64_t{0x7FFFFFFF}, 0, {2}, {1}).op('s').stop();
  msg = error_of([&] { store_from(test::make_torch_zip(w2.bytes(), {{"0", test::f32_bytes({1, 2})}})); });
  EXPECT_NE(msg.find("holds 8 bytes"), std::string::npos) << msg;
}

TEST(TorchPickleMalformed, TensorReachingBeyondItsStorage) {
  PickleWriter w;
  w.proto(2).op('}').str("t").tensor("FloatStorage", "0", 4, 2, {2, 2}, {2, 1}).op('s').stop();
  const std::string msg = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {{"0", test::f32_bytes({1, 2, 3, 4})}})); });
  EXPECT_NE(msg.find("reaches element 5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("holds 4"), std::string::npos) << msg;
}

TEST(TorchPickleMalformed, StorageSmallerThanDeclared) {
  PickleWriter w;
  w.proto(2).op('}').str("t").tensor("FloatStorage", "0", 6, 0, {6}, {1}).op('s').stop();
  const std::string msg = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {{"0", test::f32_bytes({1, 2})}})); });
  EXPECT_NE(msg.find("storage 0 holds 8 bytes but its persistent id declares 6 elements"), std::string::npos) << msg;
  // A storage the pickle names but the archive lacks.
  const std::string missing = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {})); });
  EXPECT_NE(missing.find("archive/data/0 is not in the archive"), std::string::npos) << missing;
}

TEST(TorchPickleMalformed, DeepNestingFailsCleanly) {
  // 200000 nested 1-tuples: the machine builds them without recursion; naming refuses the depth.
  PickleWriter w;
  w.proto(2).op(']');
  for (int i = 0; i < 200000; ++i) w.op(0x85);
  w.stop();
  std::string msg = run_error(w.bytes());
  EXPECT_NE(msg.find("deeper than"), std::string::npos) << msg;
  // Nested MARKs are bounded too.
  PickleWriter marks;
  marks.proto(2);
  for (int i = 0; i < 70000; ++i) marks.mark();
  msg = run_error(marks.stop().bytes());
  EXPECT_NE(msg.find("nested MARKs"), std::string::npos) << msg;
}

TEST(TorchPickleMalformed, ObjectAndMemoLimits) {
  torch_pickle::Limits limits;
  limits.max_objects = 1000;
  PickleWriter w;
  w.proto(2).op(']');
  for (int i = 0; i < 2000; ++i) w.op(']').op('a');
  w.stop();
  std::string msg = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {}), limits); });
  EXPECT_NE(msg.find("more than 1000 objects"), std::string::npos) << msg;
  limits = {};
  limits.max_memo = 10;
  PickleWriter m;
  m.proto(2).op('N');
  for (int i = 0; i < 20; ++i) m.op('q').byte(i);
  m.stop();
  msg = error_of([&] { store_from(test::make_torch_zip(m.bytes(), {}), limits); });
  EXPECT_NE(msg.find("memo grows beyond 10"), std::string::npos) << msg;
}

TEST(TorchPickleMalformed, ExponentialSharingFailsCleanly) {
  // d0 = {"a": T, "b": T}; d(k+1) = {"a": dk, "b": dk}: 2^40 paths from a few hundred bytes.
  PickleWriter d;
  d.proto(2).tensor("FloatStorage", "0", 1, 0, {1}, {1}).op('q').byte(0);
  for (int k = 0; k < 40; ++k) {
    d.op('}').mark().str("a").op('h').byte(0).str("b").op('h').byte(0).op('u');
    d.op('q').byte(0);  // the new dict replaces memo 0
    d.op('0');          // drop it from the stack; memo 0 keeps it
  }
  d.op('h').byte(0).stop();
  const std::string msg =
      error_of([&] { store_from(test::make_torch_zip(d.bytes(), {{"0", test::f32_bytes({1})}})); });
  EXPECT_NE(msg.find("too many paths"), std::string::npos) << msg;
}

TEST(TorchPickleHostile, ReduceOfAnythingNotAllowlistedIsRefused) {
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"builtins", "print"}, {"collections", "Counter"}, {"ultralytics.nn.tasks", "attempt_load_weights"},
           {"torch", "tensor"}, {"numpy", "frombuffer"}}) {
    PickleWriter w;
    w.proto(2).global(module, name).str("x").op(0x85).op('R').stop();
    const std::string msg = run_error(w.bytes());
    EXPECT_NE(msg.find("refusing to call " + module + "." + name), std::string::npos) << msg;
    EXPECT_NE(msg.find("nothing in the file was executed"), std::string::npos) << msg;
  }
}

TEST(TorchPickleHostile, DangerousGlobalsAreRefusedByName) {
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"posix", "system"}, {"nt", "system"}, {"subprocess", "Popen"},
           {"subprocess", "check_output"}, {"builtins", "exec"}, {"builtins", "getattr"}, {"builtins", "__import__"},
           {"__builtin__", "eval"}, {"__builtin__", "getattr"}, {"operator", "attrgetter"}, {"torch", "load"}}) {
    PickleWriter w;
    w.proto(2).global(module, name).str("x").op(0x85).op('R').stop();
    const std::string msg = run_error(w.bytes());
    EXPECT_NE(msg.find("refusing global " + module + "." + name), std::string::npos) << msg;
    // STACK_GLOBAL (protocol 4) is refused the same way.
    PickleWriter s;
    s.proto(4).str(module, true).str(name, true).op(0x93).stop();
    EXPECT_NE(run_error(s.bytes()).find("refusing global " + module + "." + name), std::string::npos);
    // So is NEWOBJ of it (it never becomes even an inert object).
    PickleWriter n;
    n.proto(2).global(module, name).op(')').op(0x81).stop();
    EXPECT_NE(run_error(n.bytes()).find("refusing global"), std::string::npos);
  }
  EXPECT_NE(run_error(PickleWriter().proto(2).global("os\x01", "system").stop().bytes()).find("malformed global"),
            std::string::npos);
  EXPECT_NE(run_error(PickleWriter().proto(2).op(0x82).byte(1).stop().bytes()).find("extension-registry"),
            std::string::npos);
}

TEST(TorchPickleOpcodes, Protocol4And5OpcodesAndNewStyleStorages) {
  // {"w": v2 tensor via STACK_GLOBAL/MEMOIZE/FRAME, "h": _rebuild_tensor_v3 over an UntypedStorage
  //  as float16, "meta": {frozenset, set, bytes, big int, float, nested list, tuple-keyed dict}}
  PickleWriter w;
  std::string body;
  {
    PickleWriter b;
    b.op('}').op(0x94).mark();
    b.str("w", true).op(0x94);
    b.str("torch._utils", true).str("_rebuild_tensor_v2", true).op(0x93).op(0x94);
    b.mark().mark().str("storage", true).str("torch", true).str("FloatStorage", true).op(0x93).str("0", true)
        .str("cpu", true).integer(6).op('t').op('Q');
    b.integer(0).ints({2, 3}).ints({3, 1}).op(0x89);
    b.str("collections", true).str("OrderedDict", true).op(0x93).op(0x94).op(')').op('R');
    b.op('t').op('R').op(0x94);
    b.str("h", true);
    b.str("torch._utils", true).str("_rebuild_tensor_v3", true).op(0x93);
    b.mark().mark().str("storage", true).str("torch", true).str("UntypedStorage", true).op(0x93).str("1", true)
        .str("cpu", true).integer(8).op('t').op('Q');
    b.integer(1).ints({2}).ints({1}).op(0x89).op('h').byte(3).op(')').op('R');
    b.str("torch", true).str("float16", true).op(0x93).op('t').op('R');
    b.str("meta", true).op('}').mark();
    b.str("fs", true).mark().integer(1).integer(2).op(0x91);
    b.str("s", true).op(0x8f).mark().str("a", true).op(0x90);
    b.str("bytes", true).op('C').byte(3).raw("xyz");
    b.str("big", true).op(0x8a).byte(9).raw(std::string(9, '\x01'));
    b.str("neg", true).op(0x8a).byte(2).raw(std::string("\x00\x80", 2));
    b.str("pi", true).op('G').raw(std::string("\x40\x09\x21\xfb\x54\x44\x2d\x18", 8));
    b.str("list", true).op(']').mark().op(']').op('N').op(0x88).op('e');
    b.str("tk", true).op('}').integer(1).integer(2).op(0x86).str("v", true).op('s');
    b.str("ba", true).op(0x96).u64(2).raw("ab");
    b.op('u').op('u').op('.');
    body = b.bytes();
  }
  w.proto(4).op(0x95).u64(body.size()).raw(body);
  std::string untyped(8, '\0');
  const uint16_t halfs[4] = {0x3c00, 0x4000, 0x4200, 0x4400};  // 1, 2, 3, 4
  std::memcpy(untyped.data(), halfs, 8);
  const auto file = std::make_shared<const std::string>(
      test::make_torch_zip(w.bytes(), {{"0", test::f32_bytes({1, 2, 3, 4, 5, 6})}, {"1", untyped}}));
  const auto store = torch_checkpoint_store_from_bytes(file, "p4.pt");
  EXPECT_EQ(store->names(), (std::vector<std::string>{"h", "w"}));
  // The non-tensor values decode as Python would.
  using namespace torch_pickle;
  const auto ckpt = TorchCheckpoint::parse(file, reinterpret_cast<const uint8_t*>(file->data()), file->size(), "p4");
  const Value* meta = dict_get(ckpt->root(), "meta");
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(dict_get(meta, "fs")->kind, Kind::Set);
  EXPECT_EQ(dict_get(meta, "fs")->items.size(), 2u);
  EXPECT_EQ(dict_get(meta, "s")->items.size(), 1u);
  EXPECT_EQ(dict_get(meta, "bytes")->text, "xyz");
  EXPECT_EQ(dict_get(meta, "big")->kind, Kind::BigInt);
  EXPECT_EQ(dict_get(meta, "neg")->integer, -32768);
  EXPECT_DOUBLE_EQ(dict_get(meta, "pi")->real, 3.141592653589793);
  const Value* list = dict_get(meta, "list");
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->items[0]->kind, Kind::List);
  EXPECT_EQ(list->items[1]->kind, Kind::None);
  EXPECT_TRUE(list->items[2]->flag);
  EXPECT_EQ(dict_get(meta, "tk")->entries.front().first->kind, Kind::Tuple);
  EXPECT_EQ(dict_get(meta, "ba")->text, "ab");
  EXPECT_EQ(to_vector(store->get("w")), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(store->dtype("h"), DType::F16);
  EXPECT_EQ(to_vector(store->get("h")), (std::vector<float>{2, 3}));  // offset 1 in float16 elements
}

TEST(TorchPickleOpcodes, Protocol0NumericOpcodesAndParameters) {
  // INT/LONG/FLOAT/PUT/GET text forms, DICT/LIST from MARK, _rebuild_parameter and
  // _rebuild_parameter_with_state, _rebuild_from_type_v2 around a plain rebuild, torch.Size.
  PickleWriter w;
  w.proto(2).mark();
  w.str("p").global("torch._utils", "_rebuild_parameter").mark();
  w.tensor("FloatStorage", "0", 4, 0, {2, 2}, {1, 2}).op(0x88).global("collections", "OrderedDict").op(')').op('R');
  w.op('t').op('R');
  w.str("q").global("torch._utils", "_rebuild_parameter_with_state").mark();
  w.tensor("FloatStorage", "0", 4, 3, {1}, {1}).op(0x89).op('}').op('}').op('t').op('R');
  w.str("r").global("torch._utils", "_rebuild_from_type_v2").mark();
  w.global("torch._utils", "_rebuild_tensor_v2").global("torch.nn.parameter", "Parameter");
  w.mark().storage("FloatStorage", "0", 4).integer(1).ints({2}).ints({1}).op(0x89).global("collections", "OrderedDict")
      .op(')').op('R').op('t');
  w.op('}').op('t').op('R');
  w.str("n").raw("I42\n").str("l").raw("L12345678901L\n").str("f").raw("F1.5\n").str("b").raw("I01\n");
  w.str("size").global("torch", "Size").ints({3, 4}).op(0x85).op('R');
  w.str("memo").op('N').raw("p7\n").op('0').raw("g7\n");
  w.op('d').stop();
  const auto store = store_from(test::make_torch_zip(w.bytes(), {{"0", test::f32_bytes({1, 2, 3, 4})}}));
  EXPECT_EQ(store->names(), (std::vector<std::string>{"p", "q", "r"}));
  EXPECT_EQ(to_vector(store->get("p")), (std::vector<float>{1, 3, 2, 4}));  // column-major view
  EXPECT_EQ(to_vector(store->get("q")), (std::vector<float>{4}));
  EXPECT_EQ(to_vector(store->get("r")), (std::vector<float>{2, 3}));
}

TEST(TorchPickleFormat, Zip64BigEndianAndMisalignedStorages) {
  PickleWriter w;
  w.proto(2).op('}').str("x").tensor("FloatStorage", "0", 3, 0, {3}, {1}).op('s').stop();
  std::string be;
  for (float f : {1.0f, -2.5f, 1e-3f}) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int i = 3; i >= 0; --i) be += static_cast<char>((u >> (8 * i)) & 0xff);
  }
  const auto store = store_from(test::make_torch_zip(w.bytes(), {{"0", be}}, "big", /*zip64=*/true));
  EXPECT_EQ(to_vector(store->get("x")), (std::vector<float>{1.0f, -2.5f, 1e-3f}));
  const std::string msg = error_of([&] { store_from(test::make_torch_zip(w.bytes(), {{"0", be}}, "middle")); });
  EXPECT_NE(msg.find("byteorder"), std::string::npos) << msg;
}

TEST(TorchPickleFormat, LegacyStorageViews) {
  // A legacy stream whose tensor uses a storage view (offset 2, 3 elements) of a 6-element root.
  PickleWriter magic, proto, info, main, keys;
  magic.proto(2).op(0x8a).byte(10).raw(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10)).stop();
  proto.proto(2).integer(1001).stop();
  info.proto(2).op('}').str("little_endian").op(0x88).op('s').stop();
  main.proto(2).op('}').str("v").global("torch._utils", "_rebuild_tensor_v2").mark();
  main.mark().str("storage").global("torch", "FloatStorage").str("root").str("cpu").integer(6);
  main.str("view").integer(2).integer(3).op(0x87).op('t').op('Q');
  main.integer(1).ints({2}).ints({1}).op(0x89).op('}').op('t').op('R').op('s').stop();
  keys.proto(2).op(']').str("root").op('a').stop();
  std::string stream = magic.bytes() + proto.bytes() + info.bytes() + main.bytes() + keys.bytes();
  stream += std::string("\x06\0\0\0\0\0\0\0", 8) + test::f32_bytes({10, 11, 12, 13, 14, 15});
  const auto store = store_from(stream);
  EXPECT_EQ(to_vector(store->get("v")), (std::vector<float>{13, 14}));
  // Cut inside the raw storages: a truncation error, not a crash.
  const std::string msg = error_of([&] { store_from(stream.substr(0, stream.size() - 5)); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  // Wrong magic number.
  std::string bad = stream;
  bad[5] ^= 1;
  EXPECT_NE(error_of([&] { store_from(bad); }).find("magic number"), std::string::npos);
}

TEST(TorchPickleFormat, EveryTypedStorageDtype) {
  const std::vector<std::tuple<std::string, DType, int>> types = {
      {"DoubleStorage", DType::F64, 8}, {"FloatStorage", DType::F32, 4}, {"HalfStorage", DType::F16, 2},
      {"BFloat16Storage", DType::BF16, 2}, {"LongStorage", DType::I64, 8}, {"IntStorage", DType::I32, 4},
      {"ShortStorage", DType::I16, 2}, {"CharStorage", DType::I8, 1}, {"ByteStorage", DType::U8, 1},
      {"BoolStorage", DType::BOOL, 1}};
  for (const auto& [type, dtype, bytes] : types) {
    PickleWriter w;
    w.proto(2).op('}').str("t").tensor(type, "0", 3, 1, {2}, {1}).op('s').stop();
    std::string data;
    for (int i = 0; i < 3 * bytes; ++i) data += static_cast<char>(i + 1);
    const auto store = store_from(test::make_torch_zip(w.bytes(), {{"0", data}}));
    const Tensor t = store->get("t");
    EXPECT_EQ(t.dtype(), dtype) << type;
    ASSERT_EQ(t.nbytes(), static_cast<size_t>(2 * bytes)) << type;
    EXPECT_EQ(std::memcmp(t.raw_data(), data.data() + bytes, t.nbytes()), 0) << type;
  }
  PickleWriter c;
  c.proto(2).op('}').str("t").tensor("ComplexFloatStorage", "0", 1, 0, {1}, {1}).op('s').stop();
  EXPECT_NE(run_error(c.bytes()).find("storage type torch.ComplexFloatStorage is not supported"), std::string::npos);
}

TEST(TorchPickleFormat, UltralyticsCheckpointNames) {
  // A real Ultralytics 8.0 checkpoint (a whole DetectionModel pickled): state-dict names under
  // "model.", and the plain tensor attributes YOLO code reads (model.stride, Detect's stride).
  const auto store = open_tensor_store(fixture("yolo/yolov8n_tiny.pt"));
  EXPECT_EQ(store->names().size(), 359u);
  EXPECT_TRUE(store->contains("model.model.0.conv.weight"));
  EXPECT_TRUE(store->contains("model.model.22.dfl.conv.weight"));
  EXPECT_TRUE(store->contains("model.model.0.bn.num_batches_tracked"));
  EXPECT_EQ(store->shape("stride"), (Shape{3}));
  EXPECT_EQ(store->shape("model.22.stride"), (Shape{3}));
}

TEST(TorchPickleFormat, OpenTensorStoreByExtension) {
  const std::string dir = test::temp_dir();
  for (const char* ext : {".bin", ".ckpt", ".PTH"}) {
    const std::string path = dir + "/model" + ext;
    std::filesystem::copy_file(fixture("pickles/state_dict.pt"), path);
    EXPECT_EQ(open_tensor_store(path)->names().size(), 8u) << ext;
  }
  EXPECT_NE(error_of([&] { open_tensor_store(dir + "/model.onnx"); }).find("no such file"), std::string::npos);
}

TEST(TorchPickleFormat, NotACheckpoint) {
  EXPECT_NE(error_of([] { store_from("hello world"); }).find("not a PyTorch checkpoint"), std::string::npos);
  EXPECT_NE(error_of([] { store_from(""); }).find("not a PyTorch checkpoint"), std::string::npos);
  EXPECT_NE(error_of([] { store_from(test::make_zip({{"a.txt", "x"}})); }).find("without data.pkl"),
            std::string::npos);
}

TEST(TorchPickleFormat, DeflatedEntriesOfARealReleaseFile) {
  // Real-ESRGAN's release .pth was re-zipped with deflate compression.
  const std::string path = fixture("real/realesr-animevideov3.pth");
#if defined(FLUXGEN_WITH_ZLIB)
  const auto store = open_tensor_store(path);
  EXPECT_EQ(store->shape("params.body.0.weight"), (Shape{64, 3, 3, 3}));
  EXPECT_EQ(store->shape("params.body.1.weight"), (Shape{64}));
  EXPECT_EQ(store->dtype("params.body.0.weight"), DType::F32);
  EXPECT_EQ(store->names().size(), 53u);  // 18 convs (weight, bias) and 17 PReLU slopes
#else
  const std::string msg = error_of([&] { open_tensor_store(path); });
  EXPECT_NE(msg.find("no zlib"), std::string::npos) << msg;
#endif
}

TEST(TorchPickleConvertCli, WritesSafetensorsWithTheStoreNames) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/out.safetensors";
  const auto r = test::run_fluxgen({"convert", fixture("pickles/module_tree.pt"), out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("13 tensors"), std::string::npos) << r.out;
  const auto written = SafetensorsFile::open(out);
  const auto store = open_tensor_store(fixture("pickles/module_tree.pt"));
  ASSERT_EQ(written->entries().size(), store->names().size());
  for (const auto& name : store->names()) expect_bit_exact(written->get(name), store->get(name), name);

  const auto bad = test::run_fluxgen({"convert", fixture("pickles/hostile_system.pt"), out + "2.safetensors"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("posix.system"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(out + "2.safetensors"));
}

// CRC-32 (zip's and zlib's) check value: "123456789" gives 0xCBF43926; the empty input gives 0.
TEST(TorchPickleZip, Crc32MatchesTheStandardCheckValue) {
  const std::string m = "123456789";
  EXPECT_EQ(torch_pickle::crc32_of(reinterpret_cast<const uint8_t*>(m.data()), m.size()), 0xCBF43926u);
  EXPECT_EQ(torch_pickle::crc32_of(nullptr, 0), 0u);
}

TEST(TorchPickleZip, DamagedStoredEntryFailsItsCrcCheck) {
  std::string zip = test::make_zip({{"archive/data/0", "tensor bytes"}});
  const torch_pickle::ZipArchive good(reinterpret_cast<const uint8_t*>(zip.data()), zip.size(), "good.pt");
  EXPECT_EQ(good.read(*good.find("archive/data/0"), /*verify_crc=*/true).size, 12u);
  zip[zip.find("tensor bytes")] = 'T';  // one payload byte changed, the recorded CRC kept
  const torch_pickle::ZipArchive bad(reinterpret_cast<const uint8_t*>(zip.data()), zip.size(), "bad.pt");
  const std::string err = test::error_of([&] { bad.read(*bad.find("archive/data/0"), /*verify_crc=*/true); });
  EXPECT_NE(err.find("bad.pt: entry archive/data/0 fails its CRC-32 check"), std::string::npos) << err;
}

}  // namespace
}  // namespace fluxgen
