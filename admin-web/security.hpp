// Secrets for sessions, links and CSRF: random tokens from OpenSSL's CSPRNG, their SHA-256
// (what the database keeps) and comparison that takes the same time wherever they differ.
#pragma once
#include <string>
#include <string_view>

namespace commonroom::admin_web {

// 256 random bits from RAND_bytes, as 64 lower-case hex digits; throws if the CSPRNG fails.
std::string random_token();
std::string sha256_hex(std::string_view data);
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace commonroom::admin_web
