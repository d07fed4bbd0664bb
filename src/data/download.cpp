#include "data/download.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <zip.h>

#include <filesystem>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/text.hpp"

namespace fs = std::filesystem;

namespace pocketrec {
namespace {

constexpr size_t kMaxArchiveBytes = size_t{1} << 31;

std::string digest_hex(const std::string& bytes, const EVP_MD* algorithm) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, algorithm, nullptr) != 1) {
    throw Error("checksum computation failed");
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

struct Transfer {
  std::string bytes;
  std::unique_ptr<ProgressBar> progress;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (interrupted() || transfer->bytes.size() + size * count > kMaxArchiveBytes) return 0;
  transfer->bytes.append(data, size * count);
  return size * count;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (total > 0) {
    if (!transfer->progress) {
      transfer->progress =
          std::make_unique<ProgressBar>("download", static_cast<uint64_t>(total) / 1024, "KiB");
    }
    transfer->progress->update(static_cast<uint64_t>(now) / 1024);
  }
  return interrupted() ? 1 : 0;
}

std::string fetch(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error("cannot initialise libcurl");
  Transfer transfer;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw Error("download of " + url + " failed: " + (error[0] ? error : curl_easy_strerror(code)));
  }
  if (transfer.progress) transfer.progress->finish();
  return transfer.bytes;
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  return digest_hex(bytes, EVP_sha256());
}
std::string md5_hex(const std::string& bytes) {
  return digest_hex(bytes, EVP_md5());
}

DownloadSource known_download(const std::string& name) {
  const std::string base = "https://files.grouplens.org/datasets/movielens/";
  if (name == "ml-1m") {
    return {name, base + "ml-1m.zip",
            "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"};
  }
  if (name == "ml-100k" || name == "ml-latest-small") return {name, base + name + ".zip", ""};
  throw Error("unknown dataset '" + name + "' (known: ml-1m, ml-100k, ml-latest-small)");
}

size_t unzip_to_folder(const std::string& archive, const std::string& folder,
                       const std::string& origin) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(archive.data(), archive.size(), 0, &error);
  if (!source) throw Error(origin + ": cannot read archive");
  zip_t* zip = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (!zip) {
    std::string message = zip_error_strerror(&error);
    zip_source_free(source);
    throw Error(origin + ": not a valid zip archive: " + message);
  }
  std::unique_ptr<zip_t, decltype(&zip_discard)> guard(zip, zip_discard);
  zip_int64_t entries = zip_get_num_entries(zip, 0);
  // Archives wrap everything in one folder (ml-1m/...); drop it so `folder` holds the files.
  std::string prefix;
  for (zip_int64_t i = 0; i < entries; ++i) {
    std::string name = zip_get_name(zip, i, 0);
    auto slash = name.find('/');
    std::string top = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    if (i == 0) prefix = top;
    if (top != prefix) prefix.clear();
  }
  // Every entry is checked before the first is written: a bad archive leaves no files behind.
  struct Entry {
    zip_int64_t index;
    std::string name;
    fs::path target;
    zip_uint64_t size;
  };
  std::vector<Entry> files;
  zip_uint64_t total = 0;
  for (zip_int64_t i = 0; i < entries; ++i) {
    std::string name = zip_get_name(zip, i, 0);
    std::string relative = name.substr(prefix.size());
    if (relative.empty() || relative.back() == '/') continue;
    fs::path target = fs::path(relative).lexically_normal();
    if (target.is_absolute() || starts_with(target.string(), "..")) {
      throw Error(origin + ": archive entry '" + name + "' would escape the target folder");
    }
    zip_stat_t stat;
    if (zip_stat_index(zip, i, 0, &stat) != 0 || stat.size > kMaxArchiveBytes) {
      throw Error(origin + ": archive entry '" + name + "' is unreadable or too large");
    }
    total += stat.size;
    if (total > kMaxArchiveBytes) throw Error(origin + ": the archive unpacks to too much data");
    files.push_back({i, name, target, stat.size});
  }
  fs::create_directories(folder);
  size_t written = 0;
  for (const auto& [i, name, target, size] : files) {
    zip_stat_t stat;
    stat.size = size;
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(zip_fopen_index(zip, i, 0), zip_fclose);
    if (!file) throw Error(origin + ": cannot open archive entry '" + name + "'");
    std::string bytes(stat.size, '\0');
    if (zip_fread(file.get(), bytes.data(), stat.size) != static_cast<zip_int64_t>(stat.size)) {
      throw Error(origin + ": archive entry '" + name + "' is truncated or corrupt");
    }
    fs::path out = fs::path(folder) / target;
    fs::create_directories(out.parent_path());
    write_file_atomically(out.string(), bytes);
    ++written;
  }
  return written;
}

size_t download_dataset(const DownloadSource& source, const std::string& folder) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::string archive = fetch(source.url);
  if (!source.sha256.empty()) {
    auto actual = sha256_hex(archive);
    if (actual != source.sha256) {
      throw Error(source.url + ": sha256 mismatch (expected " + source.sha256 + ", got " + actual +
                  "); the file is corrupt or not the official archive");
    }
  } else {
    std::string published(trim(fetch(source.url + ".md5")));
    auto expected = split_whitespace(published);
    // GroupLens writes "MD5 (ml-100k.zip) = <hex>" or "<hex>  name".
    std::string hex;
    for (auto word : expected) {
      if (word.size() == 32) hex = std::string(word);
    }
    if (hex.empty()) throw Error(source.url + ".md5: no md5 checksum found in it");
    auto actual = md5_hex(archive);
    if (actual != hex) {
      throw Error(source.url + ": md5 mismatch (expected " + hex + ", got " + actual + ")");
    }
  }
  return unzip_to_folder(archive, folder, source.url);
}

}  // namespace pocketrec
