#pragma once
// Model inputs from the reference's protobuf-text input config, or from the CLI's short form
// (`--features genre,year,rating,gender`). Both produce a FeatureConfig and set the model's
// encoder, embedding dim, context length and (from the label feature) output dim.
#include <string>
#include <vector>

#include "model/model_config.hpp"

namespace pocketrec {

// Parses the config text (`path` names it in errors; vocab files are relative to its folder).
void apply_input_config_text(const std::string& text, const std::string& path, ModelConfig& model);
void apply_input_config_file(const std::string& path, ModelConfig& model);

// The CLI form: the item id group (model.encoder, embedding_dim, context_length) plus year and
// rating channels; genre as its own group of 2 * L genre tokens with the same encoder; any other
// name is a user attribute in one global group. Dims: 8 for genre and year, 4 per user attribute.
void apply_feature_list(const std::vector<std::string>& names, ModelConfig& model);

}  // namespace pocketrec
