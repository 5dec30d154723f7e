// Room passwords (muc#roomconfig_roomsecret) are kept only as a salted PBKDF2-HMAC-SHA256
// hash, so a copy of the database or a room snapshot does not give the password away
// (decision 0036). XEP-0045 only ever needs to compare a password a joiner sends.
#pragma once
#include <string>
#include <string_view>

namespace commonroom::muc {

// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" with a fresh 16-byte random salt.
// Throws std::runtime_error if OpenSSL's random generator fails.
std::string hash_room_secret(std::string_view password);

// True when stored is in the form hash_room_secret writes (older rows held the password).
bool is_hashed_room_secret(std::string_view stored);

// True when password hashes to stored; the final comparison takes the same time wherever
// the hashes differ. A stored value that is not a hash never matches.
bool room_secret_matches(std::string_view password, std::string_view stored);

}  // namespace commonroom::muc
