#include "store/journal_codec.hpp"

#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace commonroom::store {

namespace {

// Bumped if the payload layout ever changes; old journals must stay readable by newer
// binaries until drained, so decode_event keeps accepting every older version.
constexpr uint8_t kPayloadVersion = 1;
constexpr size_t kStringFields = 9;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kTable = make_table();

uint32_t crc32c_table(const unsigned char* p, size_t n, uint32_t crc) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const unsigned char* p, size_t n,
                                                        uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  out.append(b, 4);
}

void put_u64(std::string& out, uint64_t v) {
  put_u32(out, static_cast<uint32_t>(v));
  put_u32(out, static_cast<uint32_t>(v >> 32));
}

uint32_t get_u32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

void put_string(std::string& out, const std::string& s) {
  if (s.size() > kMaxRecordBytes) throw std::length_error("abuse-log event field too large");
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  crc = ~crc;
#if defined(__x86_64__)
  if (kHaveSse42) return ~crc32c_sse42(p, data.size(), crc);
#endif
  return ~crc32c_table(p, data.size(), crc);
}

void append_event_frame(std::string& out, const muc::RoomEvent& e) {
  const size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');  // filled in once the payload length is known
  out.push_back(static_cast<char>(kPayloadVersion));
  out.push_back(static_cast<char>(e.kind));
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(e.occurred_at.time_since_epoch());
  put_u64(out, static_cast<uint64_t>(micros.count()));
  for (const std::string* s : {&e.id, &e.room, &e.stanza_id, &e.actor_jid, &e.actor_nick, &e.target,
                               &e.body, &e.detail, &e.raw}) {
    put_string(out, *s);
  }
  const size_t payload = out.size() - start - kFrameHeaderBytes;
  if (payload > kMaxRecordBytes) {
    out.resize(start);
    throw std::length_error("abuse-log event larger than the journal's record limit");
  }
  const uint32_t crc = crc32c(std::string_view(out).substr(start + kFrameHeaderBytes, payload));
  std::string header;
  put_u32(header, static_cast<uint32_t>(payload));
  put_u32(header, crc);
  std::memcpy(out.data() + start, header.data(), kFrameHeaderBytes);
}

bool decode_event(std::string_view payload, muc::RoomEvent& out) {
  if (payload.size() < 10 || static_cast<uint8_t>(payload[0]) != kPayloadVersion) return false;
  muc::RoomEventKind kind = static_cast<muc::RoomEventKind>(static_cast<uint8_t>(payload[1]));
  // Only kinds this binary can name: to_string maps the rest to "unknown".
  if (muc::to_string(kind) == "unknown") return false;
  uint64_t micros = get_u32(payload.data() + 2) | uint64_t{get_u32(payload.data() + 6)} << 32;
  size_t pos = 10;
  // A corrupt time would overflow the clock's finer units (undefined behaviour; found by
  // fuzz_journal): anything the clock cannot hold is not an event this binary wrote.
  using Clock = std::chrono::system_clock;
  constexpr auto kLimit =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::duration::max());
  const auto stamp = std::chrono::microseconds(static_cast<int64_t>(micros));
  if (stamp > kLimit || stamp < -kLimit) return false;
  muc::RoomEvent e;
  e.kind = kind;
  e.occurred_at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(stamp));
  std::string* fields[kStringFields] = {&e.id,        &e.room,       &e.stanza_id,
                                        &e.actor_jid, &e.actor_nick, &e.target,
                                        &e.body,      &e.detail,     &e.raw};
  for (std::string* field : fields) {
    if (payload.size() - pos < 4) return false;
    uint32_t len = get_u32(payload.data() + pos);
    pos += 4;
    if (payload.size() - pos < len) return false;
    field->assign(payload.data() + pos, len);
    pos += len;
  }
  if (pos != payload.size()) return false;
  out = std::move(e);
  return true;
}

FrameStatus read_frame(std::string_view data, std::string_view& payload, size_t& size) {
  if (data.size() < kFrameHeaderBytes) return FrameStatus::incomplete;
  const uint32_t len = get_u32(data.data());
  const uint32_t crc = get_u32(data.data() + 4);
  if (len == 0 && crc == 0) return FrameStatus::end;
  if (len == 0 || len > kMaxRecordBytes) return FrameStatus::bad_length;
  if (data.size() - kFrameHeaderBytes < len) return FrameStatus::incomplete;
  std::string_view body = data.substr(kFrameHeaderBytes, len);
  if (crc32c(body) != crc) return FrameStatus::bad_crc;
  payload = body;
  size = kFrameHeaderBytes + len;
  return FrameStatus::ok;
}

}  // namespace commonroom::store
