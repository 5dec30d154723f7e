// Settings of the XEP-0055 directory search (search keys of the [directory] section).
#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace commonroom::directory {

struct SearchSettings {
  // Most people one answer lists (a client's RSM <max/> can ask for fewer, never more).
  std::size_t max_results = 50;
  // People in an answer to a client that does not ask for a page size (no RSM <max/>):
  // what a results window shows without scrolling. Every byte of an answer is parsed
  // again by the host server and by the client, so a long default page is paid for on
  // every search; the answer says how many there are and RSM fetches more.
  std::size_t page_size = 20;
  // Most bytes of result items in one answer; the rest wait for the next page (RSM). Prosody
  // writes a stanza in 8 KiB pieces with Nagle's algorithm on, so the end of a longer answer
  // waits ~40 ms for the client's delayed ACK. 7,000 bytes of items plus the envelope, the
  // reported fields and the <set/> stay under 8 KiB; 20 typical people take ~6,600.
  std::size_t page_bytes = 7000;
  // A search needs at least one word this long (in characters, after folding); shorter
  // words only narrow it as initials ("j smith").
  std::size_t min_chars = 2;
  // Whose searches are answered: JIDs on these domains. Empty: the domain the directory
  // is a subdomain of (directory.cam.example serves cam.example users).
  std::vector<std::string> allowed_domains;
  // Searches per user (bare JID) per minute; 0 turns the limit off. A user may spend up
  // to rate_burst searches at once (type-ahead clients search on every key press).
  unsigned rate_limit = 60;
  unsigned rate_burst = 10;
  // How often the running service asks PostgreSQL whether the directory changed (a sync or
  // an opt-out) and, if so, reloads its search index.
  std::chrono::seconds refresh_interval{10};
};

}  // namespace commonroom::directory
