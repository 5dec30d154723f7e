// libFuzzer target for reading the abuse-log journal after a torn or corrupt write: any bytes
// are walked frame by frame as recovery does; a frame with a good CRC may still hold a bad
// encoding. Nothing may crash or allocate without bound, and every event that decodes must
// encode and decode back to itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/journal_codec.hpp"

namespace store = commonroom::store;
namespace muc = commonroom::muc;

namespace {

bool same(const muc::RoomEvent& a, const muc::RoomEvent& b) {
  return a.id == b.id && a.room == b.room && a.stanza_id == b.stanza_id &&
         a.occurred_at == b.occurred_at && a.kind == b.kind && a.actor_jid == b.actor_jid &&
         a.actor_nick == b.actor_nick && a.target == b.target && a.body == b.body &&
         a.detail == b.detail && a.raw == b.raw;
}

void check(std::string_view payload) {
  muc::RoomEvent event;
  if (!store::decode_event(payload, event)) return;
  std::string frame;
  store::append_event_frame(frame, event);
  std::string_view again;
  size_t size = 0;
  if (store::read_frame(frame, again, size) != store::FrameStatus::ok || size != frame.size())
    std::abort();
  muc::RoomEvent back;
  if (!store::decode_event(again, back) || !same(event, back)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  // Payloads straight from the input (what a frame with a matching CRC could hold)...
  check(rest);
  // ...and the input as a journal segment, as recovery reads it.
  while (!rest.empty()) {
    std::string_view payload;
    size_t frame = 0;
    switch (store::read_frame(rest, payload, frame)) {
      case store::FrameStatus::ok:
        if (frame == 0 || frame > rest.size()) std::abort();
        check(payload);
        rest.remove_prefix(frame);
        break;
      case store::FrameStatus::incomplete:
        return 0;  // a torn tail: recovery stops here
      case store::FrameStatus::end:
        return 0;  // the end marker or the zeros after the records: so does recovery
      case store::FrameStatus::bad_length:
      case store::FrameStatus::bad_crc:
        rest.remove_prefix(1);  // resynchronise byte by byte, as a scan for the next frame
        break;
    }
  }
  return 0;
}
