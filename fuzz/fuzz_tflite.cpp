// The .tflite loader, verifier and runtime load path (fast-path detection, fused encoders,
// scoring tables), then one query through the interpreter with zeroed inputs.
#include <cstring>

#include "core/error.hpp"
#include "pocketrec/recommender.hpp"
#include "tflite/interpreter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pocketrec;
  try {
    auto recommender = Recommender::load_buffer(data, size, "fuzz.tflite");
    auto session = recommender->new_session();
    const uint32_t history[] = {0};
    Query query;
    query.history = history;
    query.k = 5;
    std::vector<Result> results;
    if (recommender->item_count() > 0) session->recommend(query, results);
  } catch (const Error&) {
  }
  try {
    tfl::Interpreter interpreter(tfl::Model::from_bytes(data, size, "fuzz.tflite"));
    for (size_t i = 0; i < interpreter.input_count(); ++i) {
      tfl::Tensor& t = interpreter.input(i);
      std::memset(t.data, 0, t.bytes);
    }
    interpreter.invoke();
  } catch (const Error&) {
  }
  return 0;
}
