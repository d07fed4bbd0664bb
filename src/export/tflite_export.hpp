#pragma once
// Writes a trained DualEncoder as a .tflite graph of builtin operators that the official runtime
// runs unchanged: input `context` int32[L] laid out as training saw it, outputs
// `top_prediction_ids` int32[K] and `top_prediction_scores` float32[K], SignatureDef
// `serving_default`, and pocketrec's metadata (model info, catalog, config) inside the file.
#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.hpp"
#include "model/dual_encoder.hpp"

namespace pocketrec {

struct ExportOptions {
  int top_k = 100;
  // The starter models' layout, so the reference Android app's config.json works: raw integer ids
  // in and out, sigmoid scores, input named like the starter CNN/RNN models.
  bool reference_io = false;
  bool quantize_int8 = false;
};

struct ExportResult {
  std::vector<uint8_t> bytes;
  bool external_ids = false;  // the graph takes and returns the catalog's integer ids
  int top_k = 0;              // after clamping to the number of items
  int vocabulary = 0;         // rows of the exported tables
};

ExportResult export_tflite(const DualEncoder& model, const Catalog& catalog,
                           const ExportOptions& options);

// The Android sample's config.json and sorted_movie_vocab.json for an export with reference_io.
std::string reference_app_config(const std::string& model_file, const ExportResult& result,
                                 int context_length);
std::string reference_movie_vocab(const Catalog& catalog);

}  // namespace pocketrec
