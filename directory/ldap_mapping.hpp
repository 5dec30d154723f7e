// Pure LDAP -> model mapping for the directory sync: entries to Person/Institution/Group,
// the JID template, sync filters, timestamps and the deletion safety valve. No sockets.
#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/ldap_entry.hpp"
#include "directory/person.hpp"
#include "directory/sync_settings.hpp"

namespace commonroom::directory {

// Longest value kept for any text field; Lookup's own limits are far below this.
inline constexpr std::size_t max_field_bytes = 1024;

// Checks a JID template: exactly one {uid}, no other braces, something that looks like
// "node@domain". Returns the problem, or nullopt when it is usable.
std::optional<std::string> check_jid_template(std::string_view jid_template);

// The template with {uid} replaced.
std::string apply_jid_template(std::string_view jid_template, std::string_view uid);

// A CRSid-like uid, lower-cased: ASCII letters, digits, '.', '_', '-', 1-64 bytes. Anything
// else is refused, because it becomes the node of a JID and the key of a row.
std::optional<std::string> normalize_uid(std::string_view raw);

// Valid UTF-8 with control characters (NUL, newlines, ...) replaced by spaces, invalid
// bytes by U+FFFD, surrounding white space trimmed and the length capped (on a character
// boundary). LDAP servers should only send valid UTF-8; the database refuses anything else
// and one bad value must not stop a sync of 100,000 people.
std::string clean_text(std::string_view raw, std::size_t max_bytes = max_field_bytes);

// Given name when Lookup has none: cn without the surname at its end ("Alice Brown" ->
// "Alice") or at its start ("Wang Wei" with sn Wang -> "Wei"); empty when cn does not
// contain the surname as a whole word at either end.
std::string derive_given_name(std::string_view cn, std::string_view sn);

// Why an entry was skipped (for the log); empty when it was mapped.
struct MappingResult {
  std::optional<Person> person;
  std::string rejected;
};
MappingResult person_from_entry(const LdapEntry& entry, const AttributeMap& map,
                                std::string_view jid_template);
std::optional<Institution> institution_from_entry(const LdapEntry& entry, const AttributeMap& map);
std::optional<Group> group_from_entry(const LdapEntry& entry, const AttributeMap& map);

// The attributes to request (modifyTimestamp is operational, so it must be named).
std::vector<std::string> people_attributes(const AttributeMap& map);
std::vector<std::string> institution_attributes(const AttributeMap& map);
std::vector<std::string> group_attributes(const AttributeMap& map);

// "20240131120000Z" (LDAP GeneralizedTime, UTC, whole seconds).
std::string to_generalized_time(std::chrono::system_clock::time_point t);
// Accepts YYYYMMDDHHMMSS[.fraction](Z|+hhmm|-hhmm); nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_generalized_time(std::string_view text);

// RFC 4515 escaping of a value placed inside a filter.
std::string escape_filter_value(std::string_view value);

// Wraps a configured filter in parentheses when it has none ("uid=*" -> "(uid=*)").
std::string parenthesize_filter(std::string_view filter);

// (&<filter>(<modifyTimestamp attribute>>=<since>)) for an incremental sync.
std::string incremental_filter(std::string_view filter, std::string_view timestamp_attribute,
                               std::chrono::system_clock::time_point since);

// The safety valve: may a full sync remove `to_remove` of `stored` rows?
struct DeletionCheck {
  bool allowed = true;
  std::string reason;  // why not, for the log and the run record
};
DeletionCheck check_deletions(std::string_view what, std::size_t stored, std::size_t to_remove,
                              int max_percent, bool force);

}  // namespace commonroom::directory
