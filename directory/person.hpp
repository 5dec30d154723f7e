// Directory entry models (person, institution, group) shared by the LDAP sync, the store and
// the XEP-0055 search service.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace commonroom::directory {

// What Lookup's misAffiliation says about a person; anything else (or absent) is `other`.
enum class Affiliation { staff, student, other };

// "staff" / "student" / "other" (as stored in PostgreSQL and shown to users).
constexpr std::string_view to_string(Affiliation a) {
  switch (a) {
    case Affiliation::staff:
      return "staff";
    case Affiliation::student:
      return "student";
    case Affiliation::other:
      break;
  }
  return "other";
}

// Case-insensitive "staff" / "student"; everything else is `other`.
Affiliation parse_affiliation(std::string_view text);

// One person as Lookup shows them to anonymous University users. Lookup applies each
// person's visibility settings, so any field but uid may be empty: empty means "hidden or
// absent", never "unknown yet".
struct Person {
  std::string uid;  // CRSid, lower case; the primary key
  std::string jid;  // bare JID from the configured template, e.g. abc123@cam.ac.uk
  std::string cn;   // first common name, e.g. "Alice Brown"
  std::vector<std::string> other_names;  // further cn values, e.g. the name in another script
  std::string sn;                        // surname
  std::string given_name;                // givenName, or cn minus a trailing/leading sn when absent
  std::string display_name;              // displayName, or cn when absent
  std::string mail;                      // first mail value; empty when hidden
  std::string title;                     // first title value
  Affiliation affiliation = Affiliation::other;
  std::vector<std::string> institutions;  // instID values (multi-valued), as in Lookup
  std::vector<std::string> ous;           // ou values (institution names as text)
  std::string modify_timestamp;           // LDAP GeneralizedTime, e.g. 20240131120000Z

  bool operator==(const Person&) const = default;
};

// A Lookup institution (college, department, ...).
struct Institution {
  std::string inst_id;  // e.g. "TRIN", "CST"
  std::string name;     // e.g. "Trinity College"

  bool operator==(const Institution&) const = default;
};

// A Lookup group with its member CRSids.
struct Group {
  std::string group_id;              // e.g. "101234"
  std::string title;                 // groupTitle
  std::vector<std::string> members;  // uids

  bool operator==(const Group&) const = default;
};

}  // namespace commonroom::directory
