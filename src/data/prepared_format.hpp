#pragma once
// The prepared dataset that `prepare --out` writes, version 2: a folder with
//   manifest.json     counts, flags, the filters applied, and per shard its file, users,
//                     interactions and CRC-32;
//   items.tsv         the catalog in dense order: id, title, genres, year, interactions;
//   shard-NNNNN.bin   a contiguous range of users, each with its time-ordered events.
// Shards split the users in the dataset's order, balanced by interactions, so a rank of a
// distributed run reads only its own part; reading every shard gives back the dataset exactly.
// A prepared folder is input like any other: every count, index and checksum is verified.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "data/dataset.hpp"

namespace pocketrec {

struct PreparedMeta {
  std::string source_format;
  bool has_timestamps = true;
  bool has_ratings = true;
  DatasetFilters filters;
  std::vector<std::string> user_attribute_names;
  // Also write events.tsv (user, item id, time, rating; each user's events in time order), for
  // people and scripts to read; training reads the shards.
  bool events_tsv = false;
};

// How many users each of `shards` contiguous shards takes so that their interactions are as even
// as whole users allow. `lengths`: each user's interactions, in order.
std::vector<size_t> balance_shards(const std::vector<uint32_t>& lengths, size_t shards);

// Streams timelines (item indices into `catalog`, which must outlive the writer) into shard files,
// temporary until finish(), which writes items.tsv and, last, the manifest: a folder with a
// manifest is complete.
class PreparedWriter {
 public:
  PreparedWriter(std::string folder, std::vector<size_t> users_per_shard, PreparedMeta meta,
                 const Catalog& catalog);
  ~PreparedWriter();
  PreparedWriter(const PreparedWriter&) = delete;
  PreparedWriter& operator=(const PreparedWriter&) = delete;

  void add(const Timeline& timeline);
  void finish();

 private:
  void open_shard();
  void close_shard();
  void write(const void* bytes, size_t size);

  struct ShardInfo {
    std::string file;
    uint64_t users = 0, interactions = 0;
    uint32_t crc = 0;
  };
  std::string folder_;
  std::vector<size_t> users_per_shard_;
  PreparedMeta meta_;
  const Catalog& catalog_;
  std::vector<ShardInfo> shards_;
  std::vector<std::string> temporaries_;
  FILE* file_ = nullptr;
  std::string temp_path_;
  std::optional<AtomicFileWriter> tsv_;  // events.tsv, when meta.events_tsv
  std::vector<std::string> tsv_item_ids_;
  std::vector<char> buffer_;
};

// Version of the prepared dataset in `folder`: 1 (text events), 2 (shards).
int prepared_version(const std::string& folder);

// Which shards to read: part `part` of `parts` takes a contiguous range of them.
struct PreparedPart {
  int part = 0;
  int parts = 1;
};

// Reads a version-2 prepared dataset (the part's shards). Filters stricter than the ones the
// dataset was prepared with are an error: they would need the events prepare dropped.
Dataset read_prepared(const std::string& folder, const DatasetFilters& filters,
                      PreparedPart part = {});

}  // namespace pocketrec
