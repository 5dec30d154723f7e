// The abuse-log journal's record format: CRC32C-framed, versioned binary RoomEvents.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "muc/room_event.hpp"

namespace commonroom::store {

// CRC-32C (Castagnoli), as used by iSCSI and ext4: hardware instruction when the CPU has
// one, a table otherwise. crc32c("123456789") == 0xE3069283.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

// A frame is [u32 payload length][u32 CRC32C of the payload][payload], little-endian.
inline constexpr size_t kFrameHeaderBytes = 8;
// Larger payloads are refused on write and taken for garbage on read (a torn or corrupt
// length field must not make recovery allocate gigabytes).
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;

// Appends one frame holding `event` to out. Throws std::length_error above kMaxRecordBytes.
void append_event_frame(std::string& out, const muc::RoomEvent& event);

// Decodes a frame payload (without the header) into out; false when it is not a valid
// encoding (unknown version or kind, lengths that overrun the payload).
bool decode_event(std::string_view payload, muc::RoomEvent& out);

enum class FrameStatus : uint8_t {
  ok,          // a whole frame with a matching CRC
  end,         // a header of zero bytes: the end of what was written (the segment's end marker
               // or the zeros it was extended with), not damage
  incomplete,  // the data ends inside the header or the payload (a torn write)
  bad_length,  // zero or above kMaxRecordBytes
  bad_crc,     // payload present but its CRC does not match
};

// Looks at the frame at the start of data. On ok, payload is set and size is the whole
// frame's length.
FrameStatus read_frame(std::string_view data, std::string_view& payload, size_t& size);

}  // namespace commonroom::store
