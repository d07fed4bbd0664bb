#include "data/prepared_format.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "data/line_reader.hpp"

namespace fs = std::filesystem;

namespace pocketrec {
namespace {

static_assert(std::endian::native == std::endian::little, "shard files are little-endian");

constexpr char kMagic[8] = {'P', 'K', 'R', 'S', 'H', 'R', 'D', '\0'};
constexpr uint32_t kShardVersion = 1;
constexpr size_t kHeaderBytes = 32;
constexpr uint32_t kMaxTextBytes = 1u << 20;  // an id or attribute longer than this is corrupt

std::string shard_name(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "shard-%05zu.bin", index);
  return name;
}

std::string sanitize(std::string text) {
  std::replace(text.begin(), text.end(), '\t', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

struct ShardFileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};

// Reads a shard through a buffer, checking every length against what is left and keeping the
// body's CRC, so a truncated or altered file is an error naming the file and offset.
class ShardReader {
 public:
  explicit ShardReader(const std::string& path)
      : path_(path), file_(std::fopen(path.c_str(), "rb")) {
    if (!file_) throw Error("cannot open " + path + ": " + std::strerror(errno));
    std::error_code ec;
    size_ = fs::file_size(path, ec);
    buffer_.resize(size_t{1} << 20);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(path_ + ": byte " + std::to_string(offset_) + ": " + problem);
  }
  uint64_t left() const { return size_ - offset_; }
  uint64_t offset() const { return offset_; }
  uint32_t crc() const { return crc_; }
  void start_crc() { crc_on_ = true; }

  void read(void* out, size_t bytes) {
    if (bytes > left()) fail("file ends early (truncated?)");
    auto* to = static_cast<char*>(out);
    while (bytes > 0) {
      if (at_ == filled_) {
        filled_ = std::fread(buffer_.data(), 1, buffer_.size(), file_.get());
        at_ = 0;
        if (filled_ == 0) fail("cannot read");
      }
      const size_t n = std::min(bytes, filled_ - at_);
      std::memcpy(to, buffer_.data() + at_, n);
      if (crc_on_) {
        crc_ = static_cast<uint32_t>(crc32(
            crc_, reinterpret_cast<const Bytef*>(buffer_.data() + at_), static_cast<uInt>(n)));
      }
      at_ += n, to += n, bytes -= n, offset_ += n;
    }
  }
  template <typename T>
  T value() {
    T v;
    read(&v, sizeof v);
    return v;
  }
  std::string text(const char* what) {
    const auto bytes = value<uint32_t>();
    if (bytes > kMaxTextBytes) fail(std::string(what) + " of " + std::to_string(bytes) + " bytes");
    std::string s(bytes, '\0');
    read(s.data(), bytes);
    return s;
  }

 private:
  std::string path_;
  std::unique_ptr<FILE, ShardFileCloser> file_;
  uint64_t size_ = 0, offset_ = 0;
  std::vector<char> buffer_;
  size_t at_ = 0, filled_ = 0;
  uint32_t crc_ = 0;
  bool crc_on_ = false;
};

nlohmann::json read_manifest(const std::string& folder) {
  const auto path = (fs::path(folder) / "manifest.json").string();
  auto manifest = nlohmann::json::parse(read_whole_file(path), nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object()) throw Error(path + ": not a JSON object");
  if (manifest.value("format", "") != "pocketrec-prepared") {
    throw Error(path + ": not a pocketrec prepared dataset");
  }
  return manifest;
}

void read_items(const std::string& path, size_t expected, Catalog& catalog) {
  LineReader reader(path);
  std::string line;
  while (reader.next(line)) {
    auto fields = split(line, "\t");
    auto where = path + ":" + std::to_string(reader.line_number()) + ": ";
    if (fields.size() != 5) throw Error(where + "expected id, title, genres, year, interactions");
    CatalogItem item;
    item.id = std::string(fields[0]);
    item.title = std::string(fields[1]);
    for (auto genre : split(fields[2], "|")) {
      if (!genre.empty()) item.genres.emplace_back(genre);
    }
    item.year = static_cast<int>(parse_int(fields[3]).value_or(0));
    auto count = parse_int(fields[4]);
    if (!count || *count < 0 || *count > UINT32_MAX) throw Error(where + "bad interaction count");
    item.count = static_cast<uint32_t>(*count);
    if (catalog.find(item.id)) throw Error(where + "item '" + item.id + "' appears twice");
    catalog.add(std::move(item));
  }
  if (catalog.size() != expected) {
    throw Error(path + ": " + std::to_string(catalog.size()) + " items, the manifest says " +
                std::to_string(expected));
  }
}

void read_shard(const std::string& path, const nlohmann::json& info, size_t items,
                size_t attributes, Dataset& dataset) {
  ShardReader in(path);
  char magic[8];
  in.read(magic, sizeof magic);
  if (std::memcmp(magic, kMagic, sizeof magic) != 0) in.fail("not a pocketrec shard");
  if (in.value<uint32_t>() != kShardVersion) in.fail("unknown shard version");
  if (in.value<uint32_t>() != attributes) in.fail("attribute count differs from the manifest");
  const auto users = in.value<uint64_t>(), interactions = in.value<uint64_t>();
  if (users != info.at("users").get<uint64_t>() ||
      interactions != info.at("interactions").get<uint64_t>()) {
    in.fail("user or interaction count differs from the manifest");
  }
  in.start_crc();
  uint64_t remaining = interactions;
  for (uint64_t u = 0; u < users; ++u) {
    Timeline timeline;
    timeline.user = in.text("a user id");
    for (size_t a = 0; a < attributes; ++a) timeline.attributes.push_back(in.text("an attribute"));
    const auto n = in.value<uint32_t>();
    if (n > remaining) {
      in.fail("user '" + timeline.user + "' claims " + std::to_string(n) +
              " events, more than the header leaves");
    }
    if (static_cast<uint64_t>(n) * 16 > in.left()) in.fail("file ends early (truncated?)");
    remaining -= n;
    timeline.items.resize(n);
    timeline.ratings.resize(n);
    timeline.times.resize(n);
    for (uint32_t k = 0; k < n; ++k) {
      const auto item = in.value<uint32_t>();
      timeline.ratings[k] = in.value<float>();
      timeline.times[k] = in.value<int64_t>();
      if (item == 0 || item > items) {
        in.fail("item index " + std::to_string(item) + " outside the catalog of " +
                std::to_string(items));
      }
      if (k > 0 && timeline.times[k] < timeline.times[k - 1]) in.fail("events out of time order");
      timeline.items[k] = item;
    }
    dataset.timelines.push_back(std::move(timeline));
  }
  if (remaining != 0) in.fail("fewer events than the header says");
  if (in.left() != 0) in.fail("data after the last user");
  if (in.crc() != info.at("crc32").get<uint32_t>()) in.fail("checksum mismatch (altered file?)");
}

}  // namespace

std::vector<size_t> balance_shards(const std::vector<uint32_t>& lengths, size_t shards) {
  shards = std::max<size_t>(shards, 1);
  uint64_t total = 0;
  for (auto n : lengths) total += n;
  std::vector<size_t> users(shards, 0);
  uint64_t done = 0;
  size_t shard = 0;
  for (auto n : lengths) {
    // A shard is full once the users so far reach its share of the total.
    while (shard + 1 < shards && done >= total * (shard + 1) / shards && users[shard] > 0) ++shard;
    ++users[shard];
    done += n;
  }
  return users;
}

PreparedWriter::PreparedWriter(std::string folder, std::vector<size_t> users_per_shard,
                               PreparedMeta meta, const Catalog& catalog)
    : folder_(std::move(folder)),
      users_per_shard_(std::move(users_per_shard)),
      meta_(std::move(meta)),
      catalog_(catalog) {
  fs::create_directories(folder_);
  // Until the new manifest lands, the folder must not pass for the old, complete dataset.
  fs::remove(fs::path(folder_) / "manifest.json");
  buffer_.reserve(size_t{1} << 20);
  if (meta_.events_tsv) {
    tsv_.emplace((fs::path(folder_) / "events.tsv").string());
    tsv_item_ids_.assign(1, "");
    for (uint32_t i = 1; i <= catalog_.size(); ++i) {
      tsv_item_ids_.push_back(sanitize(catalog_.item(i).id));
    }
  }
  open_shard();
}

PreparedWriter::~PreparedWriter() {
  if (file_) std::fclose(file_);
  std::error_code ec;
  for (const auto& temp : temporaries_) fs::remove(temp, ec);
}

void PreparedWriter::open_shard() {
  ShardInfo info;
  info.file = shard_name(shards_.size());
  const auto path = (fs::path(folder_) / info.file).string();
  temp_path_ = path + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) throw Error("cannot write " + temp_path_ + ": " + std::strerror(errno));
  temporaries_.push_back(temp_path_);
  char header[kHeaderBytes] = {};  // counts are filled in when the shard closes
  if (std::fwrite(header, 1, sizeof header, file_) != sizeof header) {
    throw Error("cannot write " + temp_path_ + ": " + std::strerror(errno));
  }
  shards_.push_back(info);
}

void PreparedWriter::write(const void* bytes, size_t size) {
  const auto* from = static_cast<const char*>(bytes);
  buffer_.insert(buffer_.end(), from, from + size);
  if (buffer_.size() >= (size_t{1} << 20)) {
    auto& info = shards_.back();
    info.crc = static_cast<uint32_t>(crc32(info.crc, reinterpret_cast<const Bytef*>(buffer_.data()),
                                           static_cast<uInt>(buffer_.size())));
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      throw Error("cannot write " + temp_path_ + ": " + std::strerror(errno));
    }
    buffer_.clear();
  }
}

void PreparedWriter::add(const Timeline& timeline) {
  while (shards_.size() < users_per_shard_.size() &&
         shards_.back().users >= users_per_shard_[shards_.size() - 1]) {
    close_shard();
    open_shard();
  }
  auto& info = shards_.back();
  auto text = [&](const std::string& s) {
    const auto bytes = static_cast<uint32_t>(s.size());
    write(&bytes, sizeof bytes);
    write(s.data(), s.size());
  };
  text(timeline.user);
  for (size_t a = 0; a < meta_.user_attribute_names.size(); ++a) {
    text(a < timeline.attributes.size() ? timeline.attributes[a] : std::string());
  }
  const auto n = static_cast<uint32_t>(timeline.items.size());
  write(&n, sizeof n);
  for (uint32_t k = 0; k < n; ++k) {
    write(&timeline.items[k], 4);
    write(&timeline.ratings[k], 4);
    write(&timeline.times[k], 8);
  }
  ++info.users;
  info.interactions += n;
  if (tsv_) {
    const auto user = sanitize(timeline.user);
    std::string lines;
    for (uint32_t k = 0; k < n; ++k) {
      char rest[64];
      std::snprintf(rest, sizeof rest, "\t%lld\t%g\n", static_cast<long long>(timeline.times[k]),
                    static_cast<double>(timeline.ratings[k]));
      lines += user + "\t" + tsv_item_ids_.at(timeline.items[k]) + rest;
    }
    tsv_->write(lines);
  }
}

void PreparedWriter::close_shard() {
  auto& info = shards_.back();
  info.crc = static_cast<uint32_t>(crc32(info.crc, reinterpret_cast<const Bytef*>(buffer_.data()),
                                         static_cast<uInt>(buffer_.size())));
  bool ok = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size();
  buffer_.clear();
  char header[kHeaderBytes];
  std::memcpy(header, kMagic, 8);
  const uint32_t version = kShardVersion,
                 attributes = static_cast<uint32_t>(meta_.user_attribute_names.size());
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &attributes, 4);
  std::memcpy(header + 16, &info.users, 8);
  std::memcpy(header + 24, &info.interactions, 8);
  ok = ok && std::fseek(file_, 0, SEEK_SET) == 0 &&
       std::fwrite(header, 1, sizeof header, file_) == sizeof header;
  ok = (std::fflush(file_) == 0) && ok;
  ok = (::fsync(fileno(file_)) == 0) && ok;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) throw Error("cannot write " + temp_path_ + ": " + std::strerror(errno));
}

void PreparedWriter::finish() {
  close_shard();
  // Shards planned but left empty (fewer users than shards) are still written, so a part
  // always finds its files.
  while (shards_.size() < users_per_shard_.size()) {
    open_shard();
    close_shard();
  }
  for (size_t s = 0; s < shards_.size(); ++s) {
    const auto path = (fs::path(folder_) / shards_[s].file).string();
    const auto temp = temporaries_[s];
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
      throw Error("cannot rename " + temp + " to " + path + ": " + std::strerror(errno));
    }
  }
  temporaries_.clear();
  // Shards of an earlier prepare with more shards would be stale.
  for (size_t s = shards_.size();; ++s) {
    const auto stale = fs::path(folder_) / shard_name(s);
    if (!fs::exists(stale)) break;
    fs::remove(stale);
  }
  fs::remove(fs::path(folder_) / "users.tsv");
  const auto events_tsv = (fs::path(folder_) / "events.tsv").string();
  if (tsv_) {
    tsv_->commit();
  } else {
    fs::remove(events_tsv);  // an earlier prepare's, which would now disagree with the shards
  }
  std::string items;
  for (uint32_t i = 1; i <= catalog_.size(); ++i) {
    const auto& item = catalog_.item(i);
    items += sanitize(item.id) + "\t" + sanitize(item.title) + "\t" +
             sanitize(join(item.genres, "|")) + "\t" + std::to_string(item.year) + "\t" +
             std::to_string(item.count) + "\n";
  }
  write_file_atomically((fs::path(folder_) / "items.tsv").string(), items);
  nlohmann::json shards = nlohmann::json::array();
  uint64_t users = 0, interactions = 0;
  for (const auto& info : shards_) {
    shards.push_back({{"file", info.file},
                      {"users", info.users},
                      {"interactions", info.interactions},
                      {"crc32", info.crc}});
    users += info.users;
    interactions += info.interactions;
  }
  nlohmann::json manifest = {{"format", "pocketrec-prepared"},
                             {"version", 2},
                             {"source_format", meta_.source_format},
                             {"users", users},
                             {"items", catalog_.size()},
                             {"interactions", interactions},
                             {"has_timestamps", meta_.has_timestamps},
                             {"has_ratings", meta_.has_ratings},
                             {"user_attributes", meta_.user_attribute_names},
                             {"filters",
                              {{"min_rating", meta_.filters.min_rating},
                               {"min_item_count", meta_.filters.min_item_count},
                               {"min_length", meta_.filters.min_timeline}}},
                             {"shards", shards}};
  // The manifest goes last: a folder with a manifest is complete.
  write_file_atomically((fs::path(folder_) / "manifest.json").string(), manifest.dump(2) + "\n");
}

int prepared_version(const std::string& folder) {
  return read_manifest(folder).value("version", 1);
}

Dataset read_prepared(const std::string& folder, const DatasetFilters& filters, PreparedPart part) {
  const auto manifest = read_manifest(folder);
  const auto where = (fs::path(folder) / "manifest.json").string();
  Dataset dataset;
  try {
    if (manifest.at("version").get<int>() != 2) throw Error("not a version 2 prepared dataset");
    const auto& prepared = manifest.at("filters");
    const DatasetFilters applied{prepared.at("min_rating").get<double>(),
                                 prepared.at("min_item_count").get<size_t>(),
                                 prepared.at("min_length").get<size_t>()};
    if (filters.min_rating > applied.min_rating ||
        filters.min_item_count > applied.min_item_count ||
        filters.min_timeline > applied.min_timeline) {
      char rating[32];
      std::snprintf(rating, sizeof rating, "%g",
                    applied.min_rating < -1e29 ? 0.0 : applied.min_rating);
      throw Error(
          std::string("prepared with --min-rating/--min-item-count/--min-length ") +
          (applied.min_rating < -1e29 ? "none" : rating) + "/" +
          std::to_string(applied.min_item_count) + "/" + std::to_string(applied.min_timeline) +
          "; stricter filters need the events prepare dropped: run prepare again with them");
    }
    dataset.format = "prepared";
    dataset.has_timestamps = manifest.at("has_timestamps").get<bool>();
    dataset.has_ratings = manifest.at("has_ratings").get<bool>();
    dataset.user_attribute_names = manifest.at("user_attributes").get<std::vector<std::string>>();
    const auto& shards = manifest.at("shards");
    const int count = static_cast<int>(shards.size());
    if (part.parts < 1 || part.part < 0 || part.part >= part.parts) {
      throw Error("part " + std::to_string(part.part) + " of " + std::to_string(part.parts));
    }
    if (count < part.parts) {
      throw Error(
          "has " + std::to_string(count) + " shards, fewer than the " + std::to_string(part.parts) +
          " parts asked for: run prepare again with --shards " + std::to_string(part.parts));
    }
    read_items((fs::path(folder) / "items.tsv").string(), manifest.at("items").get<size_t>(),
               dataset.catalog);
    const int first = count * part.part / part.parts, last = count * (part.part + 1) / part.parts;
    for (int s = first; s < last; ++s) {
      const auto file = shards[s].at("file").get<std::string>();
      if (file.find('/') != std::string::npos || file.find("..") != std::string::npos) {
        throw Error("shard file name '" + file + "' leaves the folder");
      }
      read_shard((fs::path(folder) / file).string(), shards[s], dataset.catalog.size(),
                 dataset.user_attribute_names.size(), dataset);
      dataset.shard_ends.push_back(dataset.timelines.size());
    }
    dataset.total_shards = static_cast<size_t>(count);
    dataset.first_shard = static_cast<size_t>(first);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": " + e.what());
  } catch (const Error& e) {
    const std::string message = e.what();
    if (starts_with(message, folder)) throw;
    throw Error(where + ": " + message);
  }
  dataset.report.count_read(dataset.interactions());
  return dataset;
}

}  // namespace pocketrec
