#pragma once
// Helpers for tests: scratch folders and small files written on the fly.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace pocketrec::testing {

inline std::filesystem::path scratch_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("pocketrec_test_" + name + "_" + std::to_string(std::random_device{}()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return path.string();
}

inline std::string shared_dir() {
  return POCKETREC_SHARED_DIR;
}

}  // namespace pocketrec::testing
