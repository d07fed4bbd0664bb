#pragma once
// A bounded top-K collector: a min-heap of the K best (score, item) pairs, where a higher score
// wins and, on equal scores, the lower item index (as TFLite's TOPK_V2 orders ties). Capacity is
// reserved up front, so pushing never allocates.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace pocketrec::runtime {

struct Scored {
  uint32_t item;
  float score;
};

class TopK {
 public:
  void reserve(size_t capacity) { heap_.reserve(capacity); }
  size_t k() const { return k_; }
  size_t size() const { return heap_.size(); }
  void reset(size_t k) {
    k_ = k;
    heap_.clear();
  }
  // Scores at or below this cannot enter (ties lose to the lower indices already held, since
  // items arrive in increasing index order).
  float threshold() const {
    return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
  }
  void push(uint32_t item, float score) {
    if (heap_.size() < k_) {
      heap_.push_back({item, score});
      std::push_heap(heap_.begin(), heap_.end(), WorseFirst{});
    } else if (k_ > 0 && better(Scored{item, score}, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), WorseFirst{});
      heap_.back() = {item, score};
      std::push_heap(heap_.begin(), heap_.end(), WorseFirst{});
    }
  }
  // The collected items, best first; the collector is left empty. Pushed worst first (as the
  // prefilter does), the heap already holds them in order, and reversing it spares the heap sort's
  // branches.
  void take_sorted(std::vector<Scored>& out) {
    if (std::is_sorted(heap_.begin(), heap_.end(),
                       [](const Scored& a, const Scored& b) { return better(b, a); })) {
      out.assign(heap_.rbegin(), heap_.rend());
    } else {
      std::sort_heap(heap_.begin(), heap_.end(), WorseFirst{});
      out.assign(heap_.begin(), heap_.end());
    }
    heap_.clear();
  }
  static bool better(const Scored& a, const Scored& b) {
    return a.score != b.score ? a.score > b.score : a.item < b.item;
  }

 private:
  // Heap order: the worst element at the front. A function object, not a function pointer, so
  // the heap algorithms inline the comparison.
  struct WorseFirst {
    bool operator()(const Scored& a, const Scored& b) const { return better(a, b); }
  };
  std::vector<Scored> heap_;
  size_t k_ = 0;
};

}  // namespace pocketrec::runtime
