// Where the engine gets identifiers and secrets from, so that it owns no randomness itself.
#pragma once
#include <string>

namespace commonroom::muc {

class IdSource {
 public:
  virtual ~IdSource() = default;
  // A fresh identifier, unique for the lifetime of the service and hard to guess
  // (XEP-0359 stanza-ids, event ids, muc#unique room names). Must be a valid JID node.
  virtual std::string next_id() = 0;
  // A fresh secret key for a new room (the XEP-0421 occupant-id HMAC key).
  virtual std::string new_secret() = 0;
};

}  // namespace commonroom::muc
