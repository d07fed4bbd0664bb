#include <cstdio>

#include "cli/commands.hpp"
#include "data/download.hpp"

namespace pocketrec::cli {

void register_download(CLI::App& app) {
  auto* command = app.add_subcommand(
      "download", "Fetch an official GroupLens MovieLens archive, verify its checksum, unpack it");
  auto name = std::make_shared<std::string>();
  auto folder = std::make_shared<std::string>();
  auto url = std::make_shared<std::string>();
  auto sha256 = std::make_shared<std::string>();
  command->add_option("dataset", *name, "ml-1m, ml-100k or ml-latest-small")->required();
  command->add_option("folder", *folder, "Where to unpack it")->required();
  command->add_option("--url", *url, "Fetch from this URL instead (http, https or file://)");
  command->add_option("--sha256", *sha256,
                      "Expected sha256 of the archive (overrides the built-in)");
  command->callback([=] {
    auto source = known_download(*name);
    if (!url->empty()) source.url = *url;
    if (!sha256->empty()) source.sha256 = *sha256;
    size_t files = download_dataset(source, *folder);
    std::printf("%s: verified and unpacked %zu files into %s\n", name->c_str(), files,
                folder->c_str());
  });
}

}  // namespace pocketrec::cli
