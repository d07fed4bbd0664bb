#pragma once
// Sorts a stream of interaction events by (user, time), ties in arrival order, in bounded memory:
// events collect in a buffer; a full buffer is sorted and spilled to a run file in a scratch
// folder, and reading merges the runs (first merging groups of runs when there are too many to
// keep open). What `prepare` uses to turn a log larger than memory into per-user timelines.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/raw_log.hpp"

namespace pocketrec {

class EventSorter {
 public:
  // `buffer_events` events are held before a spill; at most `max_open_runs` run files are merged
  // at once. The scratch folder is created and, with the runs in it, removed by the destructor.
  EventSorter(std::string scratch_folder, size_t buffer_events, size_t max_open_runs = 64);
  ~EventSorter();
  EventSorter(const EventSorter&) = delete;
  EventSorter& operator=(const EventSorter&) = delete;

  // The 24-byte record of one event on disk and in the buffer.
  static constexpr size_t kRecordBytes = 24;

  void add(const RawEvent& event);
  size_t events() const { return events_; }
  size_t runs() const { return runs_.size(); }
  // Calls visit(user, events) for each user with events, in increasing user index, the events in
  // (time, arrival) order. May be called more than once; no add() after the first call.
  void for_each_user(const std::function<void(uint32_t, const std::vector<RawEvent>&)>& visit);

 private:
  struct Record {
    uint32_t user, item;
    int64_t time;
    float rating;
    uint32_t sequence;  // arrival order inside its run
  };
  static_assert(sizeof(Record) == kRecordBytes);

  void sort_buffer();  // by (user, time, arrival)
  std::string next_run_path();
  void spill();
  std::string merge_into_one(size_t first, size_t last);  // runs [first, last) -> a new run
  void merge(const std::vector<std::string>& inputs,
             const std::function<void(const Record&)>& emit) const;

  std::string scratch_;
  size_t buffer_events_, max_open_runs_;
  std::vector<Record> buffer_;
  std::vector<std::string> runs_;
  size_t events_ = 0, run_files_made_ = 0;
  bool sealed_ = false;
};

}  // namespace pocketrec
