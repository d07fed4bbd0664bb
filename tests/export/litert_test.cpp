// Exports run unchanged in the official TFLite runtime (LiteRT, via shared/tools/litert), with
// the same top-K ids as pocketrec's interpreter and scores within 1e-4. Skipped, saying why, when
// node, npm or the shared tools are not available.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/context_window.hpp"
#include "export/export_fixture.hpp"
#include "test_util.hpp"
#include "tflite/interpreter.hpp"

namespace pocketrec {
namespace {

namespace fs = std::filesystem;

std::string litert_tool() {
  return (fs::path(testing::shared_dir()) / "tools" / "litert" / "litert-run").string();
}

// Runs litert-run; returns its JSON, or null when it failed (stderr kept in `log`).
nlohmann::json run_litert(const fs::path& model, const fs::path& cases, const fs::path& log) {
  std::string cmd;
  for (const std::string& part : {litert_tool(), model.string(), cases.string()}) {
    cmd.append("'").append(part).append("' ");
  }
  cmd.append("2>'").append(log.string()).append("'");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return nullptr;
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) return nullptr;
  try {
    return nlohmann::json::parse(out);
  } catch (...) {
    return nullptr;
  }
}

std::string case_name(size_t i) {
  std::string name = "h";
  name += std::to_string(i);
  return name;
}

std::string tail(const fs::path& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.rfind("INFO", 0) != 0) last += line + "\n";
  }
  return last.size() > 600 ? last.substr(last.size() - 600) : last;
}

class Litert : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(litert_tool())) GTEST_SKIP() << "shared/tools/litert absent, skipping";
    if (std::system("command -v node >/dev/null 2>&1") != 0) {
      GTEST_SKIP() << "node is not installed, skipping the official-runtime checks";
    }
    dir_ = testing::scratch_dir("litert");
    // Probe with a starter model: if this fails the runtime itself is unavailable (no npm
    // registry), which is a reason to skip, not a failure of pocketrec's exports.
    auto starter =
        fs::path(testing::shared_dir()) / "reference" / "tflite" / "model_history10_top100.tflite";
    std::ofstream(dir_ / "probe.json") << R"({"a": [260, 1196, 1210, 0, 0, 0, 0, 0, 0, 0]})";
    if (run_litert(starter, dir_ / "probe.json", dir_ / "probe.log").is_null()) {
      GTEST_SKIP() << "the official runtime could not be started (npm install failed?): "
                   << tail(dir_ / "probe.log");
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

void compare(const fs::path& dir, const std::string& name, const ModelConfig& config,
             const ExportResult& result) {
  SCOPED_TRACE(name);
  auto model_path = dir / (name + ".tflite");
  std::ofstream(model_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(result.bytes.data()), result.bytes.size());
  // Graph inputs for a few histories of catalog rows (external ids 2 * row + 1).
  nlohmann::json cases;
  std::vector<std::vector<int32_t>> inputs;
  for (const auto& history : testing::sample_histories(config.items, config.context_length)) {
    std::vector<int32_t> context(config.context_length);
    fill_context(history, config.layout, context);
    for (int32_t& id : context) id = id ? 2 * id + 1 : 0;
    cases[case_name(inputs.size())] = context;
    inputs.push_back(context);
  }
  // Ids an app may send that are no items: negative, past the table, the int32 extremes. The
  // graph must answer as if they were padding (the same history with 0 there), never fail.
  std::vector<int32_t> foreign = inputs[0], as_padding = inputs[0];
  const std::vector<int32_t> bad_ids = {-7, 1 << 30, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < bad_ids.size() && i < foreign.size(); ++i) {
    foreign[i] = bad_ids[i];
    as_padding[i] = 0;
  }
  const size_t foreign_case = inputs.size();
  cases[case_name(foreign_case)] = foreign;
  inputs.push_back(foreign);
  inputs.push_back(as_padding);  // run by pocketrec only: what the foreign case must equal
  std::ofstream(dir / (name + ".json")) << cases.dump();
  auto got = run_litert(model_path, dir / (name + ".json"), dir / (name + ".log"));
  ASSERT_FALSE(got.is_null()) << "the official runtime refused the export: "
                              << tail(dir / (name + ".log"));
  tfl::Interpreter interp(tfl::Model::from_bytes(result.bytes.data(), result.bytes.size(), name));
  for (size_t c = 0; c <= foreign_case; ++c) {
    // The foreign ids' case is held to pocketrec's answer for the padded history.
    const auto& input = c == foreign_case ? inputs[c + 1] : inputs[c];
    std::copy(input.begin(), input.end(), interp.input(0).as<int32_t>());
    interp.invoke();
    const auto& ids = interp.output(interp.find_output("top_prediction_ids"));
    const auto& scores = interp.output(interp.find_output("top_prediction_scores"));
    const auto& theirs = got["results"][case_name(c)];
    auto their_ids = theirs["top_prediction_ids"].get<std::vector<int32_t>>();
    auto their_scores = theirs["top_prediction_scores"].get<std::vector<float>>();
    ASSERT_EQ(their_ids.size(), static_cast<size_t>(ids.elements()));
    for (size_t i = 0; i < their_ids.size(); ++i) {
      EXPECT_EQ(their_ids[i], ids.as<int32_t>()[i]) << "case " << c << " rank " << i;
      EXPECT_NEAR(their_scores[i], scores.as<float>()[i], 1e-4) << "case " << c << " rank " << i;
    }
  }
}

TEST_F(Litert, EveryEncoderExportRunsInTheOfficialRuntime) {
  for (const auto& c : testing::export_cases()) {
    Catalog catalog = testing::make_catalog(c.config.items, true);
    DualEncoder model = testing::make_model(c.config, 13);
    ExportOptions options;
    options.top_k = 15;
    compare(dir_, c.name, c.config, export_tflite(model, catalog, options));
  }
}

TEST_F(Litert, Int8ExportsRunInTheOfficialRuntime) {
  for (const auto& c : testing::export_cases()) {
    if (c.name.find("tied") != std::string::npos || c.name == "cnn_oldest_first") continue;
    ModelConfig config = c.config;
    config.items = 200;
    config.embedding_dim = 16;
    config.hidden = {40};
    config.rnn_units = 40;
    Catalog catalog = testing::make_catalog(config.items, true);
    DualEncoder model = testing::make_model(config, 17);
    ExportOptions options;
    options.top_k = 15;
    options.quantize_int8 = true;
    compare(dir_, c.name + "_int8", config, export_tflite(model, catalog, options));
  }
}

TEST_F(Litert, ReferenceIoExportRunsInTheOfficialRuntime) {
  auto c = testing::export_cases()[1];
  Catalog catalog = testing::make_catalog(c.config.items, true);
  DualEncoder model = testing::make_model(c.config, 19);
  ExportOptions options;
  options.top_k = 20;
  options.reference_io = true;
  compare(dir_, "reference_io", c.config, export_tflite(model, catalog, options));
}

}  // namespace
}  // namespace pocketrec
