# The runtime apps embed (TFLite reader, verifier and interpreter, the SIMD scoring fast
# path, the C/C++ API): one list for the native build (CMakeLists.txt) and the WebAssembly build
# (wasm/CMakeLists.txt). POCKETREC_ROOT is the repository.
set(POCKETREC_RUNTIME_SOURCES
  ${POCKETREC_ROOT}/src/tflite/tensor.cpp ${POCKETREC_ROOT}/src/tflite/model.cpp
  ${POCKETREC_ROOT}/src/tflite/interpreter.cpp ${POCKETREC_ROOT}/src/runtime/item_table.cpp
  ${POCKETREC_ROOT}/src/tflite/pocketrec_metadata.cpp ${POCKETREC_ROOT}/src/tflite/ops/kernel.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/op_util.cpp ${POCKETREC_ROOT}/src/tflite/ops/registry.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/binary_common.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/reduce_common.cpp ${POCKETREC_ROOT}/src/tflite/ops/add.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/sub.cpp ${POCKETREC_ROOT}/src/tflite/ops/mul.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/div.cpp ${POCKETREC_ROOT}/src/tflite/ops/maximum.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/minimum.cpp ${POCKETREC_ROOT}/src/tflite/ops/not_equal.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/cast.cpp ${POCKETREC_ROOT}/src/tflite/ops/logistic.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/tanh.cpp ${POCKETREC_ROOT}/src/tflite/ops/select.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/reshape.cpp ${POCKETREC_ROOT}/src/tflite/ops/gather.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/fully_connected.cpp ${POCKETREC_ROOT}/src/tflite/ops/conv_2d.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/max_pool_2d.cpp ${POCKETREC_ROOT}/src/tflite/ops/sum.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/mean.cpp ${POCKETREC_ROOT}/src/tflite/ops/reduce_max.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/topk_v2.cpp ${POCKETREC_ROOT}/src/tflite/ops/strided_slice.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/concatenation.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/unidirectional_sequence_lstm.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/dequantize.cpp ${POCKETREC_ROOT}/src/tflite/ops/rsqrt.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/gelu.cpp ${POCKETREC_ROOT}/src/tflite/ops/softmax.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/batch_matmul.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/vector_math.cpp ${POCKETREC_ROOT}/src/tflite/ops/lstm_kernel.cpp
  ${POCKETREC_ROOT}/src/tflite/ops/dot_rows.cpp ${POCKETREC_ROOT}/src/runtime/score_kernels.cpp
  ${POCKETREC_ROOT}/src/runtime/score_table.cpp ${POCKETREC_ROOT}/src/runtime/prefilter.cpp
  ${POCKETREC_ROOT}/src/runtime/prefilter_kernels.cpp
  ${POCKETREC_ROOT}/src/runtime/coarse_filter.cpp
  ${POCKETREC_ROOT}/src/runtime/coarse_filter_kernels.cpp
  ${POCKETREC_ROOT}/src/runtime/fused_encoder.cpp ${POCKETREC_ROOT}/src/runtime/fused_bow.cpp
  ${POCKETREC_ROOT}/src/runtime/fused_rnn.cpp ${POCKETREC_ROOT}/src/runtime/fused_cnn.cpp
  ${POCKETREC_ROOT}/src/runtime/fused_attention.cpp ${POCKETREC_ROOT}/src/runtime/recommender.cpp
  ${POCKETREC_ROOT}/src/runtime/session.cpp ${POCKETREC_ROOT}/src/runtime/c_api.cpp)
