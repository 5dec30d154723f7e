// Settings of the LDAP directory sync ([ldap] section of commonroom.ini); defaults match
// the University's Lookup directory.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace commonroom::directory {

// Which LDAP attribute feeds which field. Lookup's names are the defaults; another
// directory (e.g. Active Directory) only needs a different map.
struct AttributeMap {
  // people
  std::string uid = "uid";
  std::string cn = "cn";
  std::string sn = "sn";
  std::string given_name = "givenName";
  std::string display_name = "displayName";
  std::string mail = "mail";
  std::string title = "title";
  std::string affiliation = "misAffiliation";
  std::string institutions = "instID";
  std::string ou = "ou";
  // operational attribute: only returned when asked for by name
  std::string modify_timestamp = "modifyTimestamp";
  // institutions
  std::string inst_id = "instID";
  std::string inst_name = "ou";
  // groups
  std::string group_id = "groupID";
  std::string group_title = "groupTitle";
  std::string group_member = "uid";
};

struct LdapSettings {
  std::string uri = "ldaps://ldap.lookup.cam.ac.uk";
  std::string bind_dn;        // empty: anonymous bind (what every University user sees)
  std::string password_file;  // simple bind password, read when the config is loaded
  std::string password;       // the file's content (trailing newline removed); never logged
  bool starttls = false;      // StartTLS on an ldap:// URI (ldaps:// is TLS from the start)
  std::string ca_file;        // PEM CA bundle; empty: the system's trust store

  std::string people_base = "ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  // Presence filters select the right entries whatever the object classes are called.
  std::string people_filter = "(uid=*)";
  std::string institutions_base = "ou=insts,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  std::string institutions_filter = "(instID=*)";
  std::string groups_base = "ou=groups,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  std::string groups_filter = "(groupID=*)";
  AttributeMap attributes;

  // {uid} is replaced by the (lower-cased) uid; it must occur exactly once.
  std::string jid_template = "{uid}@cam.ac.uk";

  int page_size = 500;                         // RFC 2696 page size
  std::chrono::seconds network_timeout{10};    // connect (LDAP_OPT_NETWORK_TIMEOUT)
  std::chrono::seconds operation_timeout{60};  // each bind / page (LDAP_OPT_TIMEOUT)
  std::chrono::seconds full_sync_interval{24 * 3600};
  std::chrono::seconds incremental_interval{15 * 60};
  // Incremental sync asks for modifyTimestamp >= (start of the last good sync - skew), so
  // clock differences and entries written during that sync are not missed.
  std::chrono::seconds timestamp_skew{300};
  std::chrono::seconds retry_initial{30};  // after a failed sync; doubles up to max
  std::chrono::seconds retry_max{30 * 60};
  // Safety valve: a full sync that would remove more than this share of the stored people
  // removes nobody (and says so) unless forced (`directory sync --full --force`).
  int max_delete_percent = 20;
  std::size_t batch_size = 2000;  // people per write to the store
  // Run syncs on the schedule inside `commonroom run`; false leaves syncing to
  // `commonroom directory sync` (e.g. from a cron job on one host of several).
  bool scheduled = true;
};

}  // namespace commonroom::directory
