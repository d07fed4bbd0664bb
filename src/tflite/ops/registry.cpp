// Maps BuiltinOperator codes to the kernels pocketrec implements.
#include "tflite/ops/kernel.hpp"
#include "tflite_generated.h"

namespace pocketrec::tfl {

const Kernel& add_kernel();
const Kernel& batch_matmul_kernel();
const Kernel& cast_kernel();
const Kernel& concatenation_kernel();
const Kernel& conv_2d_kernel();
const Kernel& dequantize_kernel();
const Kernel& div_kernel();
const Kernel& fully_connected_kernel();
const Kernel& gelu_kernel();
const Kernel& gather_kernel();
const Kernel& logistic_kernel();
const Kernel& max_pool_2d_kernel();
const Kernel& maximum_kernel();
const Kernel& minimum_kernel();
const Kernel& mean_kernel();
const Kernel& mul_kernel();
const Kernel& not_equal_kernel();
const Kernel& reduce_max_kernel();
const Kernel& reshape_kernel();
const Kernel& rsqrt_kernel();
const Kernel& select_kernel();
const Kernel& select_v2_kernel();
const Kernel& softmax_kernel();
const Kernel& strided_slice_kernel();
const Kernel& sub_kernel();
const Kernel& sum_kernel();
const Kernel& tanh_kernel();
const Kernel& topk_v2_kernel();
const Kernel& unidirectional_sequence_lstm_kernel();

const Kernel* find_kernel(int code) {
  using Op = tflite::BuiltinOperator;
  switch (static_cast<Op>(code)) {
    case Op::ADD:
      return &add_kernel();
    case Op::BATCH_MATMUL:
      return &batch_matmul_kernel();
    case Op::GELU:
      return &gelu_kernel();
    case Op::RSQRT:
      return &rsqrt_kernel();
    case Op::SOFTMAX:
      return &softmax_kernel();
    case Op::CAST:
      return &cast_kernel();
    case Op::CONCATENATION:
      return &concatenation_kernel();
    case Op::CONV_2D:
      return &conv_2d_kernel();
    case Op::DEQUANTIZE:
      return &dequantize_kernel();
    case Op::DIV:
      return &div_kernel();
    case Op::FULLY_CONNECTED:
      return &fully_connected_kernel();
    case Op::GATHER:
      return &gather_kernel();
    case Op::LOGISTIC:
      return &logistic_kernel();
    case Op::MAX_POOL_2D:
      return &max_pool_2d_kernel();
    case Op::MAXIMUM:
      return &maximum_kernel();
    case Op::MINIMUM:
      return &minimum_kernel();
    case Op::MEAN:
      return &mean_kernel();
    case Op::MUL:
      return &mul_kernel();
    case Op::NOT_EQUAL:
      return &not_equal_kernel();
    case Op::REDUCE_MAX:
      return &reduce_max_kernel();
    case Op::RESHAPE:
      return &reshape_kernel();
    case Op::SELECT:
      return &select_kernel();
    case Op::SELECT_V2:
      return &select_v2_kernel();
    case Op::STRIDED_SLICE:
      return &strided_slice_kernel();
    case Op::SUB:
      return &sub_kernel();
    case Op::SUM:
      return &sum_kernel();
    case Op::TANH:
      return &tanh_kernel();
    case Op::TOPK_V2:
      return &topk_v2_kernel();
    case Op::UNIDIRECTIONAL_SEQUENCE_LSTM:
      return &unidirectional_sequence_lstm_kernel();
    default:
      return nullptr;
  }
}

}  // namespace pocketrec::tfl
