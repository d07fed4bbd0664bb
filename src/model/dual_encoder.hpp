#pragma once
// The dual encoder: feature groups -> context encoders -> Dense+ReLU layers -> projection turn a
// history into a user vector; a label table gives one vector (and bias) per item; the score of
// item j is dot(user, label_j) + bias_j.
//
// Each activity group (by default one: the item ids) is a sequence whose positions concatenate
// their features' embeddings and float values; its own SequenceEncoder pools it. Global groups
// (user attributes) concatenate their embeddings. All group outputs are concatenated.
//
// The parameters are shared and read-only during a batch; everything a forward/backward pass
// writes lives in a per-thread Workspace and Gradients, so threads never share mutable state.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/feature_batch.hpp"
#include "model/model_config.hpp"
#include "model/parameter.hpp"
#include "model/sequence_encoder.hpp"
#include "nn/matrix.hpp"

namespace pocketrec {

struct GroupWorkspace {
  SequenceWorkspace encoder;
  nn::Matrix input, input_grad;    // [B*L, W]: the group's positions, features side by side
  std::vector<int32_t> mask;       // [B*L]: 0 where every feature of the position is zero (padding)
  nn::Matrix pooled, pooled_grad;  // [B, out]: the encoder's output
  const int32_t* tokens = nullptr;  // the forward pass's inputs, kept for the backward pass
  const float* values = nullptr;
  const int32_t* mask_ids = nullptr;  // `mask`, or the tokens themselves for a lone id feature
};

struct EncoderWorkspace {
  std::vector<GroupWorkspace> groups;
  std::vector<nn::Matrix> layers;  // outputs: pooled, hidden..., projection
  std::vector<nn::Matrix> grads;   // gradients w.r.t. each entry of `layers`
  bool every_step = false;         // user() has one row per (sequence, step), row b * L + t
  int batch = 0;
  DropoutContext dropout;                     // training only: the trainer sets it per batch
  std::vector<const int32_t*> global_tokens;  // per global group, from the last forward pass
  std::vector<const float*> global_values;
  const nn::Matrix& user() const { return layers.back(); }
  nn::Matrix& user_grad() { return grads.back(); }
};

class DualEncoder {
 public:
  explicit DualEncoder(ModelConfig config);

  void initialize(uint64_t seed);
  const ModelConfig& config() const { return config_; }
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  Gradients make_gradients() const;
  size_t parameter_count() const;

  // Item-id models: contexts [batch, L] item indices already range-checked (0 = padding).
  void encode(const int32_t* contexts, int batch, EncoderWorkspace& ws) const;
  // Any model: inputs laid out by FeatureExtractor. `features` must outlive the backward pass.
  void encode(const FeatureBatch& features, EncoderWorkspace& ws) const;
  // Causal mode for recurrent item-id models: the user vector after every step of every context,
  // [batch * L, D], so one pass predicts the next item at each position.
  void encode_steps(const int32_t* contexts, int batch, EncoderWorkspace& ws) const;
  // Backpropagates ws.user_grad() into `grads` (any mode), through the last forward pass's inputs.
  void encode_backward(EncoderWorkspace& ws, Gradients& grads) const;
  void encode_backward(const int32_t*, EncoderWorkspace& ws, Gradients& grads) const {
    encode_backward(ws, grads);
  }

  const nn::Matrix& label_table() const { return params_[label_index_].value; }
  const nn::Matrix* label_bias() const {
    return label_bias_index_ >= 0 ? &params_[label_bias_index_].value : nullptr;
  }
  int label_index() const { return label_index_; }

  // The Dense layers after pooling (hidden..., projection), in order, as stored and applied.
  struct DenseLayer {
    std::string name;
    const nn::Matrix* weight;  // [in, out]
    const nn::Matrix* bias;    // [1, out]
    bool relu;
  };
  std::vector<DenseLayer> dense_layers() const;
  int label_bias_index() const { return label_bias_index_; }

 private:
  struct Group {
    FeatureGroupSpec spec;
    std::vector<int> tables;   // per token feature: its embedding parameter
    std::vector<int> columns;  // per feature: first column in the group's input row
    int token_count = 0, value_count = 0;
    int width = 0, offset = 0;               // input width; first column in the concatenated vector
    std::optional<SequenceEncoder> encoder;  // activity groups only
  };

  ModelConfig config_;
  std::vector<Parameter> params_;
  std::vector<Group> activity_, global_;
  int pooled_width_ = 0;          // all groups' outputs side by side, before the dense layers
  std::vector<int> dense_index_;  // weight index per dense layer (bias follows it)
  int label_index_ = 0;
  int label_bias_index_ = -1;

  Group make_group(const FeatureGroupSpec& spec, bool global, int group_number);
  void run(int batch, bool every_step, EncoderWorkspace& ws) const;  // inputs already in ws
  // One activity group and nothing else: its encoder writes the pooled vector in place.
  bool pools_in_place(bool every_step) const {
    return activity_.size() == 1 && global_.empty() && !every_step;
  }
  void embed(const Group& group, int rows, GroupWorkspace& gw) const;
  void embed_backward(const Group& group, int rows, const float* input_grad,
                      const GroupWorkspace& gw, Gradients& grads) const;
  bool dense_relu(size_t layer) const;  // ReLU after dense layer `layer`?
};

}  // namespace pocketrec
