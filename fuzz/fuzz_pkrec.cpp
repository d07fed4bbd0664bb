// The .pkrec model and checkpoint reader (sections, checksum, config JSON, catalog, tensors,
// training state). Most inputs get their CRC-32 fixed first, so mutations reach the parser
// behind the checksum instead of stopping at it.
#include <zlib.h>

#include <cstring>
#include <string>

#include "core/error.hpp"
#include "model/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() >= 4 && (bytes.size() % 8) != 0) {
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()),
                            static_cast<uInt>(bytes.size() - 4));
    const uint32_t stored = static_cast<uint32_t>(crc);
    std::memcpy(bytes.data() + bytes.size() - 4, &stored, 4);
  }
  try {
    pocketrec::load_model_from_bytes(bytes, "fuzz.pkrec");
  } catch (const pocketrec::Error&) {
  }
  return 0;
}
