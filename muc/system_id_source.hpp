// The production IdSource: random UUIDs and secrets from the operating system.
#pragma once
#include "muc/id_source.hpp"

namespace commonroom::muc {

// Not part of the pure engine: the shell (or RoomService's convenience constructor)
// injects it. Tests use a deterministic IdSource instead.
class SystemIdSource : public IdSource {
 public:
  std::string next_id() override;     // RFC 4122 version 4 UUID, lowercase
  std::string new_secret() override;  // 32 random bytes, hex
};

}  // namespace commonroom::muc
