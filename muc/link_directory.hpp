// Who belongs to each institution and group a room can be linked to ("inst:TRIN",
// "group:100656"), as the shell last loaded it from the directory. Immutable once built and
// compact (about 4 bytes per membership plus each distinct JID once), so the engine can hold
// a 200,000-person University and swap in a new copy by pointer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace commonroom::muc {

// A link value a room's configuration can hold: "inst:<instID>" or "group:<groupID>", the
// id of ASCII letters, digits, '.', '-' or '_' (at most kMaxLinkIdBytes). Returns the
// canonical form (prefix in lower case, id as given) or nullopt when malformed.
std::optional<std::string> parse_link(std::string_view text);
inline constexpr std::size_t kMaxLinkIdBytes = 64;

class LinkDirectory {
 public:
  class Builder {
   public:
    // A link the directory knows, with or without members (an institution nobody is in).
    void add_link(std::string_view link);
    // `jid` belongs to `link`. JIDs are prepared (RFC 7622) once per distinct value when
    // building; one that is not a valid bare user JID is skipped and counted.
    void add_member(std::string_view link, std::string_view jid);
    // Several members at once, separated by spaces (as PostgreSQL's string_agg gives them).
    void add_members(std::string_view link, std::string_view jids);
    LinkDirectory build() &&;

   private:
    std::uint32_t link_index(std::string_view link);
    struct Entry {
      std::uint32_t link, offset, size;  // the raw JID is chars_[offset, offset + size)
    };
    std::vector<std::string> links_;
    std::unordered_map<std::string, std::uint32_t> link_ids_;
    std::string chars_;
    std::vector<Entry> entries_;
  };

  LinkDirectory() = default;

  // True when the directory held no institution or group at all (never synced): links
  // cannot be checked against it then.
  bool empty() const { return link_names_.empty(); }
  bool knows(std::string_view link) const;
  // The link as the directory spells it when only the case differs ("inst:trin" ->
  // "inst:TRIN"), nullopt when unknown.
  std::optional<std::string> canonical(std::string_view link) const;
  // Whether the prepared bare JID `user` belongs to any of `links`.
  bool member_of_any(const std::vector<std::string>& links, std::string_view user) const;
  std::size_t member_count(std::string_view link) const;

  std::size_t link_count() const { return link_names_.size(); }
  std::size_t people() const { return jid_offsets_.empty() ? 0 : jid_offsets_.size() - 1; }
  std::size_t memberships() const { return members_.size(); }
  std::size_t memory_bytes() const;
  // Member JIDs the directory held that are not valid bare user JIDs (skipped).
  std::size_t rejected() const { return rejected_; }

 private:
  std::optional<std::uint32_t> find_jid(std::string_view user) const;
  std::optional<std::uint32_t> find_link(std::string_view link) const;
  std::string_view jid(std::uint32_t i) const;

  // Every distinct member JID, sorted, back to back; jid_offsets_[i]..[i+1] is the i-th.
  std::string jid_chars_;
  std::vector<std::uint32_t> jid_offsets_;
  std::vector<std::string> link_names_;  // sorted
  // link i's members are members_[link_starts_[i] .. link_starts_[i+1]), sorted JID indexes.
  std::vector<std::uint32_t> link_starts_;
  std::vector<std::uint32_t> members_;
  std::size_t rejected_ = 0;
};

}  // namespace commonroom::muc
