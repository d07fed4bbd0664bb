#include "cli/output_paths.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/text.hpp"

namespace fs = std::filesystem;

namespace pocketrec::cli {
namespace {

fs::path canonical_or_empty(const std::string& path) {
  std::error_code ec;
  auto resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path() : resolved;
}

// Inside a data folder only pocketrec's own outputs may be written, never over a log.
bool is_model_or_report(const fs::path& path) {
  const auto name = path.filename().string();
  for (const char* ending : {".pkrec", ".tflite", ".ckpt", ".json"}) {
    if (ends_with(name, ending)) return true;
  }
  return false;
}

void check_not_an_input(const OutputSpec& spec, const fs::path& out,
                        const std::vector<std::string>& inputs) {
  for (const auto& input : inputs) {
    if (input.empty()) continue;
    const fs::path in = canonical_or_empty(input);
    if (in.empty()) continue;
    if (in == out) {
      throw Error(spec.option + " " + spec.path + " is an input of this command (" + input +
                  "): writing it would destroy the input; choose another path");
    }
    std::error_code ec;
    if (fs::is_directory(in, ec) && out.parent_path() == in && fs::exists(out, ec) &&
        !fs::is_directory(out, ec) && !is_model_or_report(out)) {
      throw Error(spec.option + " " + spec.path + " would overwrite a file of the input folder " +
                  input + "; choose another path");
    }
  }
}

void check_writable_folder(const OutputSpec& spec, const fs::path& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    throw Error(spec.option + " " + spec.path + ": cannot create the folder " + folder.string() +
                ": " + ec.message());
  }
  // access() says yes to root on a read-only file system; a real file says the truth.
  const fs::path probe = folder / (".pocketrec-write-test." + std::to_string(::getpid()));
  FILE* file = std::fopen(probe.c_str(), "wb");
  if (!file) {
    throw Error(spec.option + " " + spec.path + ": cannot write in " + folder.string() + ": " +
                std::strerror(errno));
  }
  std::fclose(file);
  fs::remove(probe, ec);
}

}  // namespace

void check_output_path(const OutputSpec& spec, const std::vector<std::string>& inputs, bool force) {
  if (spec.path.empty()) throw Error(spec.option + " needs a path");
  const fs::path out = canonical_or_empty(spec.path);
  if (out.empty()) throw Error(spec.option + " " + spec.path + ": not a usable path");
  check_not_an_input(spec, out, inputs);
  std::error_code ec;
  const bool exists = fs::exists(out, ec);
  const bool is_folder = exists && fs::is_directory(out, ec);
  if (spec.folder) {
    if (exists && !is_folder) {
      throw Error(spec.option + " " + spec.path + " is a file; " + spec.kind + " is a folder");
    }
    check_writable_folder(spec, out);
    return;
  }
  if (is_folder) {
    throw Error(spec.option + " " + spec.path + " is a folder; give a file name for " + spec.kind);
  }
  if (!spec.extensions.empty() && !force) {
    bool matches = false;
    for (const auto& ending : spec.extensions) matches |= ends_with(spec.path, ending);
    if (!matches) {
      throw Error(spec.option + " " + spec.path + ": this writes " + spec.kind +
                  ", so the name should end with " + join(spec.extensions, " or ") +
                  " (--force writes it anyway)");
    }
  }
  check_writable_folder(spec, out.parent_path());
}

void check_prepared_folder(const std::string& folder, bool force) {
  std::error_code ec;
  if (force || !fs::is_directory(folder, ec) || fs::exists(fs::path(folder) / "manifest.json")) {
    return;
  }
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    throw Error("--out " + folder + " already holds " + entry.path().filename().string() +
                " and is not a prepared dataset; choose an empty folder (or --force)");
  }
}

}  // namespace pocketrec::cli
