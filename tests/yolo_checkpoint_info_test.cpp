// What fluxgen reads from an Ultralytics checkpoint's pickled module tree, on small pickles written
// here opcode by opcode (tests/torch_pickle_builders.h): the DetectionModel under "ema" or
// "model", names in both key forms, yaml multiples and activation, train_args, each Conv's act
// (with LeakyReLU's slope), BatchNorm eps and Bottleneck shortcuts, and the refusals.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "models/yolo/checkpoint_info.h"
#include "torch_pickle_builders.h"
#include "util/error.h"

namespace fluxgen {
namespace {

// Writes nested objects, dicts and values with the opcodes torch.save's pickler uses.
class TreeWriter {
 public:
  TreeWriter() { w_.proto(2); }
  // cls() + NEWOBJ, then its __dict__ (entries until end_object) applied with BUILD.
  TreeWriter& object(const std::string& module, const std::string& name) {
    w_.global(module, name).op(')').op(0x81).op('}').mark();
    return *this;
  }
  TreeWriter& end_object() {
    w_.op('u').op('b');
    return *this;
  }
  TreeWriter& dict() {
    w_.op('}').mark();
    return *this;
  }
  TreeWriter& end_dict() {
    w_.op('u');
    return *this;
  }
  TreeWriter& key(const std::string& k) {
    w_.str(k);
    return *this;
  }
  TreeWriter& integer(int64_t v) {
    w_.integer(v);
    return *this;
  }
  TreeWriter& str(const std::string& s) {
    w_.str(s);
    return *this;
  }
  TreeWriter& real(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    w_.op('G');
    for (int i = 7; i >= 0; --i) w_.byte(static_cast<int>((bits >> (8 * i)) & 0xff));
    return *this;
  }
  TreeWriter& boolean(bool b) {
    w_.op(b ? 0x88 : 0x89);
    return *this;
  }
  TreeWriter& none() {
    w_.op('N');
    return *this;
  }
  TreeWriter& list_of_reals(const std::vector<double>& v) {
    w_.op(']').mark();
    for (double d : v) real(d);
    w_.op('e');
    return *this;
  }
  // A module: its _modules dict is filled by `children` (key + module pairs), plus attributes.
  template <typename Children, typename Attributes>
  TreeWriter& module(const std::string& module, const std::string& name, Children children, Attributes attributes) {
    object(module, name);
    key("training").boolean(false);
    key("_parameters").dict().end_dict();
    key("_buffers").dict().end_dict();
    key("_modules").dict();
    children(*this);
    end_dict();
    attributes(*this);
    return end_object();
  }
  std::string finish() {
    w_.stop();
    return test::make_torch_zip(w_.bytes(), {});
  }

 private:
  test::PickleWriter w_;
};

auto none = [](TreeWriter&) {};

// An Ultralytics Conv: conv, bn (with eps), act of the given class.
void conv_module(TreeWriter& t, const std::string& act_class, double eps, double slope = 0.01) {
  t.module("ultralytics.nn.modules.conv", "Conv",
           [&](TreeWriter& c) {
             c.key("conv").module("torch.nn.modules.conv", "Conv2d", none, none);
             c.key("bn").module("torch.nn.modules.batchnorm", "BatchNorm2d", none,
                                [&](TreeWriter& a) { a.key("eps").real(eps); });
             c.key("act").module("torch.nn.modules.activation", act_class, none,
                                 [&](TreeWriter& a) { a.key("negative_slope").real(slope).key("inplace").boolean(true); });
           },
           none);
}

std::shared_ptr<const torch_pickle::TorchCheckpoint> parse(const std::string& zip) {
  auto bytes = std::make_shared<const std::string>(zip);
  return torch_pickle::TorchCheckpoint::parse(bytes, reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(),
                                             "synthetic.pt");
}

// {"model": DetectionModel(yaml, names, model=Sequential(0: Conv, 1: C2f(m.0: Bottleneck(add))))}
std::string checkpoint(bool with_ema, const std::string& act0, bool string_names) {
  TreeWriter t;
  t.dict();
  auto detection_model = [&](const std::string& act) {
    t.module("ultralytics.nn.tasks", "DetectionModel",
             [&](TreeWriter& c) {
               c.key("model").module("torch.nn.modules.container", "Sequential",
                                     [&](TreeWriter& s) {
                                       s.key("0");
                                       conv_module(s, act, 1e-3, 0.1);
                                       s.key("1").module("ultralytics.nn.modules.block", "C2f",
                                                         [&](TreeWriter& b) {
                                                           b.key("cv1");
                                                           conv_module(b, "SiLU", 1e-5);
                                                           b.key("m").module(
                                                               "torch.nn.modules.container", "ModuleList",
                                                               [&](TreeWriter& l) {
                                                                 l.key("0").module("ultralytics.nn.modules.block",
                                                                                   "Bottleneck", none, [](TreeWriter& a) {
                                                                                     a.key("add").boolean(true);
                                                                                   });
                                                               },
                                                               none);
                                                         },
                                                         none);
                                     },
                                     none);
             },
             [&](TreeWriter& a) {
               a.key("yaml").dict().key("nc").integer(2).key("scale").str("s").key("scales").dict();
               a.key("s").list_of_reals({0.33, 0.5, 1024});
               a.end_dict().key("activation").str("nn.Hardswish()").end_dict();
               a.key("names").dict();
               if (string_names) a.str("0").str("face").str("1").str("hand");
               else a.integer(0).str("face").integer(1).str("hand");
               a.end_dict();
             });
  };
  t.key("model");
  detection_model("SiLU");
  t.key("ema");
  if (with_ema) detection_model(act0);
  else t.none();
  t.key("train_args").dict().key("task").str("detect").key("imgsz").integer(1000).end_dict();
  t.end_dict();
  return t.finish();
}

TEST(YoloCheckpointInfo, ModuleTreeFacts) {
  const auto ckpt = parse(checkpoint(false, "SiLU", false));
  const yolo::ModelInfo info = yolo::model_info_from_checkpoint(*ckpt);
  EXPECT_EQ(info.weights_prefix, "model.model.");
  EXPECT_EQ(info.nc, std::optional<int64_t>(2));
  EXPECT_EQ(info.scale, "s");
  EXPECT_DOUBLE_EQ(*info.width_multiple, 0.5);
  EXPECT_EQ(info.max_channels, std::optional<int64_t>(1024));
  EXPECT_EQ(info.default_activation.kind, yolo::ActivationSpec::Kind::Hardswish);  // the yaml's
  EXPECT_EQ(info.class_name(1), "hand");
  EXPECT_EQ(info.task, "detect");
  EXPECT_EQ(info.imgsz, (std::pair<int, int>{1024, 1024}));  // 1000 rounded up to a multiple of 32
  EXPECT_EQ(info.layer_classes, (std::vector<std::string>{"Conv", "C2f"}));
  EXPECT_EQ(info.head_class, "C2f");
  EXPECT_EQ(info.activation_of("model.0").kind, yolo::ActivationSpec::Kind::SiLU);
  EXPECT_EQ(info.activation_of("model.1.cv1").kind, yolo::ActivationSpec::Kind::SiLU);
  EXPECT_DOUBLE_EQ(info.batchnorm_eps_of("model.1.cv1.bn"), 1e-5);
  EXPECT_EQ(info.shortcut_of("model.1.m.0"), std::optional<bool>(true));
}

TEST(YoloCheckpointInfo, EmaIsPreferredAndStringNameKeys) {
  const auto ckpt = parse(checkpoint(true, "LeakyReLU", true));
  const yolo::ModelInfo info = yolo::model_info_from_checkpoint(*ckpt);
  EXPECT_EQ(info.weights_prefix, "ema.model.");
  const auto act = info.activation_of("model.0");
  EXPECT_EQ(act.kind, yolo::ActivationSpec::Kind::LeakyReLU);
  EXPECT_FLOAT_EQ(act.negative_slope, 0.1f);
  EXPECT_EQ(info.class_name(0), "face");
}

TEST(YoloCheckpointInfo, Refusals) {
  try {
    yolo::model_info_from_checkpoint(*parse(checkpoint(true, "Mish", false)));
    FAIL() << "Mish accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.0.act"), std::string::npos) << e.what();
  }
  test::PickleWriter w;
  w.proto(2).op(']').stop();
  EXPECT_THROW(yolo::model_info_from_checkpoint(*parse(test::make_torch_zip(w.bytes(), {}))), Error);
  TreeWriter no_model;
  no_model.dict().key("epoch").integer(3).end_dict();
  EXPECT_THROW(yolo::model_info_from_checkpoint(*parse(no_model.finish())), Error);
}

}  // namespace
}  // namespace fluxgen
