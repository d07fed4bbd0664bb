// A model file is untrusted input: truncated, bit-flipped and hand-crafted hostile files must be
// rejected with pocketrec::Error (or, if a mutation happens to stay valid, run), never crash,
// hang or allocate without bound. Meant to run under ASan/UBSan.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "test_util.hpp"
#include "tflite/interpreter.hpp"
#include "tflite/writer.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {
namespace {

// Load, prepare and run one query; returns "ok" or the Error message. Any other exception or a
// crash fails the test.
std::string try_everything(const std::vector<uint8_t>& bytes) {
  try {
    auto model = Model::from_bytes(bytes.data(), bytes.size(), "fuzz");
    Interpreter interp(model);
    for (size_t i = 0; i < interp.input_count(); ++i) {
      Tensor& t = interp.input(i);
      std::memset(t.data, 0, t.bytes);
    }
    interp.invoke();
    return "ok";
  } catch (const Error& e) {
    return e.what();
  }
}

std::vector<uint8_t> small_model() {
  // ids[4] -> GATHER(table[6,3]) -> SUM over ids -> FC(label[6,3]) -> TOPK 3.
  GraphWriter g;
  int ids = g.add_tensor("ids", DType::kInt32, Shape{4});
  std::vector<float> table(18);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i % 5) - 2.0f;
  int t = g.add_floats("table", Shape{6, 3}, table);
  int e = g.add_tensor("e", DType::kFloat32, Shape{4, 3});
  g.add_op(static_cast<int>(tflite::BuiltinOperator::GATHER), {t, ids}, {e});
  int axes = g.add_ints("axes", Shape{1}, {0});
  int s = g.add_tensor("s", DType::kFloat32, Shape{3});
  g.add_op(static_cast<int>(tflite::BuiltinOperator::SUM), {e, axes}, {s});
  int label = g.add_floats("label", Shape{6, 3}, table);
  int scores = g.add_tensor("scores", DType::kFloat32, Shape{1, 6});
  g.add_op(static_cast<int>(tflite::BuiltinOperator::FULLY_CONNECTED), {s, label, -1}, {scores});
  int k = g.add_ints("k", Shape{}, {3});
  int values = g.add_tensor("values", DType::kFloat32, Shape{1, 3});
  int top = g.add_tensor("top", DType::kInt32, Shape{1, 3});
  g.add_op(static_cast<int>(tflite::BuiltinOperator::TOPK_V2), {scores, k}, {values, top});
  g.set_inputs({ids});
  g.set_outputs({top, values});
  return g.finish();
}

TEST(ModelFuzz, TheSmallModelItselfRuns) {
  EXPECT_EQ(try_everything(small_model()), "ok");
}

TEST(ModelFuzz, EveryTruncationIsRejected) {
  auto bytes = small_model();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    std::string result = try_everything(cut);
    EXPECT_NE(result, "ok") << "truncated to " << n << " of " << bytes.size() << " bytes";
  }
}

TEST(ModelFuzz, FlippedBytesNeverCrash) {
  auto bytes = small_model();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
  std::uniform_int_distribution<int> bit(0, 7);
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto mutated = bytes;
    for (int flips = 1 + trial % 3; flips > 0; --flips) mutated[pos(rng)] ^= 1 << bit(rng);
    rejected += try_everything(mutated) != "ok";
  }
  EXPECT_GT(rejected, 0);
}

TEST(ModelFuzz, StarterModelsWithFlippedBytesNeverCrash) {
  auto path = std::filesystem::path(testing::shared_dir()) / "reference" / "tflite" /
              "recommendation_rnn_i10o100.tflite";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared reference data absent, skipping";
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  // The weights are most of the file; flips there change numbers, not structure. Aim at the
  // table area (the last 12 KB, where FlatBuffers puts the vtables and tables it writes first).
  std::mt19937 rng(99);
  std::uniform_int_distribution<size_t> pos(bytes.size() - 12000, bytes.size() - 1);
  for (int trial = 0; trial < 300; ++trial) {
    auto mutated = bytes;
    mutated[pos(rng)] ^= static_cast<uint8_t>(1 + trial % 255);
    try_everything(mutated);
  }
}

// Hand-made hostile files, each with the problem it must be rejected for.
struct Crafted {
  std::string name;
  std::vector<uint8_t> bytes;
  std::string expect;  // part of the error message
};

std::vector<uint8_t> build(int version, const char* identifier, int op_input, uint32_t buffer,
                           std::vector<int32_t> shape, int data_bytes, int opcode_index = 0,
                           int32_t builtin = 36) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<uint8_t> data(static_cast<size_t>(std::max(data_bytes, 0)), 0);
  std::vector<flatbuffers::Offset<tflite::Buffer>> buffers{
      tflite::CreateBuffer(fbb),
      tflite::CreateBufferDirect(fbb, data_bytes >= 0 ? &data : nullptr)};
  std::vector<int32_t> id_shape{4}, out_shape{4, 3};
  std::vector<flatbuffers::Offset<tflite::Tensor>> tensors{
      tflite::CreateTensorDirect(fbb, &shape, tflite::TensorType::FLOAT32, buffer, "table"),
      tflite::CreateTensorDirect(fbb, &id_shape, tflite::TensorType::INT32, 0, "ids"),
      tflite::CreateTensorDirect(fbb, &out_shape, tflite::TensorType::FLOAT32, 0, "out")};
  std::vector<int32_t> in{0, op_input}, out{2}, graph_in{1}, graph_out{2};
  std::vector<flatbuffers::Offset<tflite::Operator>> ops{
      tflite::CreateOperatorDirect(fbb, static_cast<uint32_t>(opcode_index), &in, &out)};
  auto sg = tflite::CreateSubGraphDirect(fbb, &tensors, &graph_in, &graph_out, &ops);
  std::vector<flatbuffers::Offset<tflite::SubGraph>> sgs{sg};
  std::vector<flatbuffers::Offset<tflite::OperatorCode>> codes{
      tflite::CreateOperatorCode(fbb, static_cast<int8_t>(std::min(builtin, 127)), 0, 1,
                                 static_cast<tflite::BuiltinOperator>(builtin))};
  auto model = tflite::CreateModelDirect(fbb, static_cast<uint32_t>(version), &codes, &sgs, nullptr,
                                         &buffers);
  fbb.Finish(model, identifier);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

TEST(ModelFuzz, CraftedFilesAreRejectedForTheRightReason) {
  std::vector<Crafted> cases = {
      {"valid", build(3, "TFL3", 1, 1, {6, 3}, 72), "ok"},
      {"wrong identifier", build(3, "TFL2", 1, 1, {6, 3}, 72), "identifier"},
      {"wrong version", build(2, "TFL3", 1, 1, {6, 3}, 72), "schema version 2"},
      {"tensor index out of range", build(3, "TFL3", 7, 1, {6, 3}, 72), "refers to tensor 7"},
      {"negative tensor index", build(3, "TFL3", -5, 1, {6, 3}, 72), "refers to tensor -5"},
      {"buffer out of range", build(3, "TFL3", 1, 9, {6, 3}, 72), "refers to buffer 9"},
      {"data size mismatch", build(3, "TFL3", 1, 1, {6, 3}, 70), "needs 72"},
      {"negative dimension", build(3, "TFL3", 1, 1, {-6, 3}, 72), "negative dimension"},
      {"absurd shape", build(3, "TFL3", 1, 1, {1 << 20, 1 << 20}, 72), "absurdly large"},
      {"rank too high", build(3, "TFL3", 1, 1, {1, 1, 1, 1, 1, 1, 1, 18}, 72), "rank 8"},
      {"opcode out of range", build(3, "TFL3", 1, 1, {6, 3}, 72, 4), "operator code 4"},
      {"unsupported operator", build(3, "TFL3", 1, 1, {6, 3}, 72, 0, 5), "not supported"},
      {"unknown operator", build(3, "TFL3", 1, 1, {6, 3}, 72, 0, 5000), "unknown builtin"},
      {"reads its own output", build(3, "TFL3", 2, 1, {6, 3}, 72), "before any operator"},
  };
  for (const auto& c : cases) {
    std::string result = try_everything(c.bytes);
    if (c.expect == "ok") {
      EXPECT_EQ(result, "ok") << c.name;
    } else {
      EXPECT_NE(result.find(c.expect), std::string::npos) << c.name << ": " << result;
    }
  }
}

TEST(ModelFuzz, UnreadableFileNamesThePath) {
  try {
    Model::load_file("/nonexistent/model.tflite");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.tflite"), std::string::npos);
  }
}

}  // namespace
}  // namespace pocketrec::tfl
