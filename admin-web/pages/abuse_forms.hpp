// What the abuse workspace's pages share: reading a case reference and the log filters from
// a form with size limits, writing them back into links and hidden fields, and an event as
// the templates show it (retractions spelled out).
#pragma once
#include <mstch/mstch.hpp>

#include <string>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/page.hpp"

namespace commonroom::admin_web {

// Limits on what staff type: generous for real use, small enough that nobody can make the
// service build huge queries.
inline constexpr size_t kMaxCaseBytes = 200;
inline constexpr size_t kMaxJidListBytes = 2000;  // several JIDs separated by spaces
inline constexpr size_t kMaxJidListEntries = 20;
inline constexpr size_t kMaxWordsBytes = 500;
inline constexpr size_t kMaxReasonBytes = 1000;
inline constexpr size_t kMaxShortFieldBytes = 100;  // times, nicks, cursors, numbers

// A form value, at most max_bytes (else AbuseRefused naming the field).
std::string form_value(const PageRequest& request, const std::string& name, size_t max_bytes,
                       const std::string& label);

// The case reference the page was given ("" when none); too long is refused.
std::string case_of(const PageRequest& request);

// The log filters as typed (room, user, nick, occupant_id, words, from, to, kinds=all).
LogFilter filter_of(const PageRequest& request);
bool any_filter(const LogFilter& filter);

// The filters (and case) as a query string for links, each value percent-encoded.
std::string filter_query(const LogFilter& filter, const std::string& case_ref);
// The same as template values: {room, user, nick, occupant_id, words, from, to, all_kinds}.
void add_filter_values(mstch::map& context, const LogFilter& filter);

// One event for a table row. case_ref goes into its context link.
mstch::map entry_view(const LogEntry& entry, const std::string& case_ref);

// 2026-11-24T10:01:00.123456Z -> "2026-11-24 10:01:00.123456" (the column says UTC).
std::string readable_time(const std::string& iso);

// "yes" when the form carries value for name (checkboxes).
bool checked(const PageRequest& request, const std::string& name);

}  // namespace commonroom::admin_web
