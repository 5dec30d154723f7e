// libFuzzer target for the INI configuration reader: any file content either loads or is
// refused with errors that each name a file and say what is wrong; never both, never neither,
// never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = [] {
    char dir[] = "/tmp/commonroom-fuzz-config-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    return std::string(dir) + "/commonroom.ini";
  }();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  commonroom::app::ConfigResult result = commonroom::app::load_config(path);
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  for (const auto& e : result.errors)
    if (e.to_string().empty()) std::abort();
  return 0;
}
