// The reference's three starter models, run by pocketrec's interpreter against the golden outputs
// in shared/reference/tflite/golden_outputs.json (BOW and CNN: the official runtime; LSTM: an
// independent re-implementation only).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.hpp"
#include "tflite/interpreter.hpp"

namespace pocketrec::tfl {
namespace {

std::filesystem::path reference_dir() {
  return std::filesystem::path(testing::shared_dir()) / "reference" / "tflite";
}

struct Outputs {
  int ids = -1, scores = -1;
};

// Bind by dtype, never by position: the starter CNN lists its scores first.
Outputs bind_outputs(const Interpreter& interp) {
  Outputs o;
  for (size_t i = 0; i < interp.output_count(); ++i) {
    if (interp.output(i).type == DType::kInt32) o.ids = static_cast<int>(i);
    if (interp.output(i).type == DType::kFloat32) o.scores = static_cast<int>(i);
  }
  return o;
}

void check_model(const std::string& file, double tolerance, bool expect_exact) {
  auto golden_path = reference_dir() / "golden_outputs.json";
  if (!std::filesystem::exists(golden_path)) {
    GTEST_SKIP() << "shared reference data absent (" << golden_path << "), skipping";
  }
  nlohmann::json golden = nlohmann::json::parse(std::ifstream(golden_path));
  auto model = Model::load_file((reference_dir() / file).string());
  Interpreter interp(model);
  ASSERT_EQ(interp.input_count(), 1u);
  Outputs out = bind_outputs(interp);
  ASSERT_GE(out.ids, 0);
  ASSERT_GE(out.scores, 0);
  int cases = 0, identical = 0;
  double worst = 0.0;
  for (const auto& [name, c] : golden["models"][file]["cases"].items()) {
    auto input = c["input"].get<std::vector<int32_t>>();
    Tensor& in = interp.input(0);
    ASSERT_EQ(in.elements(), static_cast<int64_t>(input.size()));
    std::copy(input.begin(), input.end(), in.as<int32_t>());
    interp.reset_variables();
    interp.invoke();
    auto want_ids = c["top_prediction_ids"].get<std::vector<int32_t>>();
    auto want_scores = c["top_prediction_scores"].get<std::vector<float>>();
    const Tensor& ids = interp.output(out.ids);
    const Tensor& scores = interp.output(out.scores);
    ASSERT_EQ(ids.elements(), static_cast<int64_t>(want_ids.size()));
    std::vector<int32_t> got(ids.as<int32_t>(), ids.as<int32_t>() + ids.elements());
    bool same = got == want_ids;
    double max_diff = 0.0;
    for (size_t i = 0; i < want_scores.size(); ++i) {
      max_diff = std::max(max_diff, std::fabs(double(scores.as<float>()[i]) - want_scores[i]));
    }
    worst = std::max(worst, max_diff);
    ++cases;
    identical += same;
    if (expect_exact) {
      EXPECT_EQ(got, want_ids) << file << " case " << name;
      EXPECT_LE(max_diff, tolerance) << file << " case " << name;
    } else if (!same || max_diff > tolerance) {
      std::cout << "[ info ] " << file << " case " << name << ": ids "
                << (same ? "equal" : "differ") << ", max score difference " << max_diff << "\n";
    }
  }
  EXPECT_GE(cases, 5);
  std::cout << "[ info ] " << file << ": " << identical << "/" << cases
            << " cases with identical top-100 ids, max score difference " << worst << "\n";
  if (!expect_exact) {
    EXPECT_EQ(identical, cases);
  }
}

TEST(StarterModels, BowMatchesTheOfficialRuntime) {
  check_model("model_history10_top100.tflite", 1e-5, true);
}

TEST(StarterModels, CnnMatchesTheOfficialRuntime) {
  check_model("recommendation_cnn_i10o100.tflite", 1e-5, true);
}

TEST(StarterModels, LstmAgreesWithTheIndependentReimplementation) {
  check_model("recommendation_rnn_i10o100.tflite", 1e-5, false);
}

}  // namespace
}  // namespace pocketrec::tfl
