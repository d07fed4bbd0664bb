#pragma once
// Fetches an official GroupLens archive, verifies it and unpacks it.
#include <string>

namespace pocketrec {

struct DownloadSource {
  std::string name;
  std::string url;
  std::string sha256;  // empty: verify against the md5 GroupLens publishes beside the archive
};

// ml-1m, ml-100k, ml-latest-small; throws for other names.
DownloadSource known_download(const std::string& name);
// Downloads `source.url` (http, https or file://), checks the checksum, and unpacks the zip into
// `folder`, dropping the archive's top-level directory. Returns the number of files written.
size_t download_dataset(const DownloadSource& source, const std::string& folder);

std::string sha256_hex(const std::string& bytes);
std::string md5_hex(const std::string& bytes);
// Unpacks a zip archive held in memory into `folder`; entries that would escape it are refused.
size_t unzip_to_folder(const std::string& archive, const std::string& folder,
                       const std::string& origin);

}  // namespace pocketrec
