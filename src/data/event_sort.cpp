#include "data/event_sort.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <queue>
#include <tuple>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace pocketrec {
namespace {

struct RunFileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
using RunFile = std::unique_ptr<FILE, RunFileCloser>;

RunFile open_run_file(const std::string& path, const char* mode) {
  RunFile file(std::fopen(path.c_str(), mode));
  if (!file) throw Error("cannot open " + path + ": " + std::strerror(errno));
  return file;
}

// Reads one run file's records through a fixed buffer.
template <typename Record>
class RunReader {
 public:
  RunReader(const std::string& path, size_t buffer_records)
      : path_(path), file_(open_run_file(path, "rb")), buffer_(buffer_records) {}

  bool next(Record& record) {
    if (at_ == filled_) {
      filled_ = std::fread(buffer_.data(), sizeof(Record), buffer_.size(), file_.get());
      at_ = 0;
      if (filled_ == 0) {
        if (std::ferror(file_.get())) throw Error("cannot read " + path_);
        return false;
      }
    }
    record = buffer_[at_++];
    return true;
  }

 private:
  std::string path_;
  RunFile file_;
  std::vector<Record> buffer_;
  size_t at_ = 0, filled_ = 0;
};

// Reading buffers share about this much memory during a merge.
constexpr size_t kMergeBufferBytes = size_t{64} << 20;

}  // namespace

EventSorter::EventSorter(std::string scratch_folder, size_t buffer_events, size_t max_open_runs)
    : scratch_(std::move(scratch_folder)),
      // A run's arrival numbers are 32-bit.
      buffer_events_(std::clamp<size_t>(buffer_events, 1, UINT32_MAX)),
      max_open_runs_(std::max<size_t>(max_open_runs, 2)) {
  fs::create_directories(scratch_);
  buffer_.reserve(std::min<size_t>(buffer_events_, size_t{1} << 20));
}

EventSorter::~EventSorter() {
  std::error_code ec;
  fs::remove_all(scratch_, ec);
}

void EventSorter::add(const RawEvent& event) {
  if (sealed_) throw Error("EventSorter: add() after reading began");
  if (buffer_.size() == buffer_events_) spill();
  buffer_.push_back(
      {event.user, event.item, event.time, event.rating, static_cast<uint32_t>(buffer_.size())});
  ++events_;
}

void EventSorter::sort_buffer() {
  std::sort(buffer_.begin(), buffer_.end(), [](const Record& a, const Record& b) {
    return std::tie(a.user, a.time, a.sequence) < std::tie(b.user, b.time, b.sequence);
  });
}

std::string EventSorter::next_run_path() {
  return (fs::path(scratch_) / ("run-" + std::to_string(run_files_made_++) + ".bin")).string();
}

void EventSorter::spill() {
  if (buffer_.empty()) return;
  sort_buffer();
  const std::string path = next_run_path();
  RunFile file = open_run_file(path, "wb");
  if (std::fwrite(buffer_.data(), sizeof(Record), buffer_.size(), file.get()) != buffer_.size() ||
      std::fflush(file.get()) != 0) {
    throw Error("cannot write " + path + ": " + std::strerror(errno));
  }
  runs_.push_back(path);
  buffer_.clear();
}

void EventSorter::merge(const std::vector<std::string>& inputs,
                        const std::function<void(const Record&)>& emit) const {
  const size_t per_reader = std::max<size_t>(
      kMergeBufferBytes / sizeof(Record) / std::max<size_t>(inputs.size(), 1), 1024);
  std::vector<RunReader<Record>> readers;
  readers.reserve(inputs.size());
  for (const auto& path : inputs) readers.emplace_back(path, per_reader);
  // Ties in (user, time) go to the earlier run: runs hold consecutive stretches of the input.
  using Head = std::pair<Record, size_t>;
  auto later = [](const Head& a, const Head& b) {
    return std::tie(a.first.user, a.first.time, a.second) >
           std::tie(b.first.user, b.first.time, b.second);
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  for (size_t r = 0; r < readers.size(); ++r) {
    Record record;
    if (readers[r].next(record)) heads.emplace(record, r);
  }
  while (!heads.empty()) {
    auto [record, r] = heads.top();
    heads.pop();
    emit(record);
    if (readers[r].next(record)) heads.emplace(record, r);
  }
}

std::string EventSorter::merge_into_one(size_t first, size_t last) {
  const std::string path = next_run_path();
  RunFile file = open_run_file(path, "wb");
  std::vector<Record> out;
  out.reserve(size_t{1} << 16);
  auto flush = [&] {
    if (std::fwrite(out.data(), sizeof(Record), out.size(), file.get()) != out.size()) {
      throw Error("cannot write " + path + ": " + std::strerror(errno));
    }
    out.clear();
  };
  std::vector<std::string> inputs(runs_.begin() + static_cast<std::ptrdiff_t>(first),
                                  runs_.begin() + static_cast<std::ptrdiff_t>(last));
  merge(inputs, [&](const Record& record) {
    out.push_back(record);
    if (out.size() == out.capacity()) flush();
  });
  flush();
  if (std::fflush(file.get()) != 0) throw Error("cannot write " + path);
  std::error_code ec;
  for (const auto& input : inputs) fs::remove(input, ec);
  return path;
}

void EventSorter::for_each_user(
    const std::function<void(uint32_t, const std::vector<RawEvent>&)>& visit) {
  if (!sealed_) {
    sealed_ = true;
    if (!runs_.empty()) {
      spill();
      buffer_.shrink_to_fit();
      // Merge consecutive groups, so the tie rule (earlier run first) still means input order.
      while (runs_.size() > max_open_runs_) {
        std::vector<std::string> merged;
        for (size_t first = 0; first < runs_.size(); first += max_open_runs_) {
          const size_t last = std::min(runs_.size(), first + max_open_runs_);
          merged.push_back(last - first == 1 ? runs_[first] : merge_into_one(first, last));
        }
        runs_ = std::move(merged);
      }
    } else {
      sort_buffer();
    }
  }
  std::vector<RawEvent> group;
  uint32_t current = 0;
  auto take = [&](const Record& record) {
    if (!group.empty() && record.user != current) {
      visit(current, group);
      group.clear();
    }
    current = record.user;
    group.push_back({record.user, record.item, record.time, record.rating});
  };
  if (runs_.empty()) {
    for (const auto& record : buffer_) take(record);
  } else {
    merge(runs_, take);
  }
  if (!group.empty()) visit(current, group);
}

}  // namespace pocketrec
