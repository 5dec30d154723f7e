#include "muc/link_directory.hpp"

#include <algorithm>
#include <numeric>

#include "xmpp/jid.hpp"

namespace commonroom::muc {

namespace {

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

// A JID made by a template like "{uid}@cam.ac.uk" from a lower-case CRSid is already in
// its prepared form; checking that is much cheaper than ICU's stringprep.
bool already_prepared(std::string_view jid) {
  std::size_t at = jid.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == jid.size() || at > 1023 ||
      jid.size() - at - 1 > 1023)
    return false;
  for (std::size_t i = 0; i < jid.size(); ++i) {
    char c = jid[i];
    if (i == at) continue;
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c == '_' && i < at);
    if (!ok) return false;
  }
  std::string_view domain = jid.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.' && domain.find("..") == std::string::npos &&
         domain.front() != '-';
}

// The prepared bare JID, or nullopt when `raw` is not a user's bare JID.
std::optional<std::string> prepare(std::string_view raw) {
  if (already_prepared(raw)) return std::string(raw);
  auto jid = xmpp::Jid::try_parse(raw);
  if (!jid || !jid->has_node() || jid->has_resource()) return std::nullopt;
  return std::string(jid->bare_str());
}

}  // namespace

std::optional<std::string> parse_link(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view kind = text.substr(0, colon), id = text.substr(colon + 1);
  std::string out;
  if (iequal(kind, "inst")) {
    out = "inst:";
  } else if (iequal(kind, "group")) {
    out = "group:";
  } else {
    return std::nullopt;
  }
  if (id.empty() || id.size() > kMaxLinkIdBytes || !std::all_of(id.begin(), id.end(), id_char))
    return std::nullopt;
  out += id;
  return out;
}

// --- building ---

std::uint32_t LinkDirectory::Builder::link_index(std::string_view link) {
  auto it = link_ids_.find(std::string(link));
  if (it != link_ids_.end()) return it->second;
  auto index = static_cast<std::uint32_t>(links_.size());
  links_.emplace_back(link);
  link_ids_.emplace(std::string(link), index);
  return index;
}

void LinkDirectory::Builder::add_link(std::string_view link) {
  link_index(link);
}

void LinkDirectory::Builder::add_member(std::string_view link, std::string_view jid) {
  if (jid.empty()) return;
  Entry e{link_index(link), static_cast<std::uint32_t>(chars_.size()),
          static_cast<std::uint32_t>(jid.size())};
  chars_ += jid;
  entries_.push_back(e);
}

void LinkDirectory::Builder::add_members(std::string_view link, std::string_view jids) {
  link_index(link);
  while (!jids.empty()) {
    std::size_t space = jids.find(' ');
    add_member(link, jids.substr(0, space));
    if (space == std::string_view::npos) break;
    jids.remove_prefix(space + 1);
  }
}

LinkDirectory LinkDirectory::Builder::build() && {
  LinkDirectory d;
  auto raw = [this](const Entry& e) { return std::string_view(chars_).substr(e.offset, e.size); };

  // 1. The distinct raw JIDs, each prepared once.
  std::vector<std::uint32_t> order(entries_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return raw(entries_[a]) < raw(entries_[b]); });
  std::vector<std::uint32_t> distinct_of(entries_.size());  // entry -> distinct raw index
  std::string prepared_chars;
  std::vector<std::uint32_t> prepared_offsets;  // distinct raw -> its prepared JID
  std::vector<bool> valid;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const Entry& e = entries_[order[i]];
    if (i == 0 || raw(e) != raw(entries_[order[i - 1]])) {
      prepared_offsets.push_back(static_cast<std::uint32_t>(prepared_chars.size()));
      auto p = prepare(raw(e));
      valid.push_back(p.has_value());
      if (p) {
        prepared_chars += *p;
      } else {
        ++d.rejected_;
      }
    }
    distinct_of[order[i]] = static_cast<std::uint32_t>(valid.size() - 1);
  }
  prepared_offsets.push_back(static_cast<std::uint32_t>(prepared_chars.size()));
  order.clear();
  order.shrink_to_fit();
  std::string().swap(chars_);
  auto prepared = [&](std::uint32_t i) {
    return std::string_view(prepared_chars)
        .substr(prepared_offsets[i], prepared_offsets[i + 1] - prepared_offsets[i]);
  };

  // 2. Prepared JIDs sorted and made unique (two raw spellings may prepare alike).
  std::vector<std::uint32_t> by_prepared;
  for (std::uint32_t i = 0; i < valid.size(); ++i) {
    if (valid[i]) by_prepared.push_back(i);
  }
  std::sort(by_prepared.begin(), by_prepared.end(),
            [&](std::uint32_t a, std::uint32_t b) { return prepared(a) < prepared(b); });
  std::vector<std::uint32_t> final_of(valid.size(), UINT32_MAX);  // distinct raw -> jid index
  for (std::size_t k = 0; k < by_prepared.size(); ++k) {
    std::string_view p = prepared(by_prepared[k]);
    if (k == 0 || p != prepared(by_prepared[k - 1])) {
      d.jid_offsets_.push_back(static_cast<std::uint32_t>(d.jid_chars_.size()));
      d.jid_chars_ += p;
    }
    final_of[by_prepared[k]] = static_cast<std::uint32_t>(d.jid_offsets_.size() - 1);
  }
  d.jid_offsets_.push_back(static_cast<std::uint32_t>(d.jid_chars_.size()));

  // 3. Links sorted by name, each with its sorted, unique member indexes.
  std::vector<std::uint32_t> link_order(links_.size());
  std::iota(link_order.begin(), link_order.end(), 0u);
  std::sort(link_order.begin(), link_order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return links_[a] < links_[b]; });
  std::vector<std::uint32_t> rank(links_.size());
  for (std::uint32_t r = 0; r < link_order.size(); ++r) rank[link_order[r]] = r;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs;  // link rank, jid index
  pairs.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::uint32_t j = final_of[distinct_of[i]];
    if (j != UINT32_MAX) pairs.emplace_back(rank[entries_[i].link], j);
  }
  std::vector<Entry>().swap(entries_);
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  d.link_names_.reserve(links_.size());
  for (std::uint32_t l : link_order) d.link_names_.push_back(std::move(links_[l]));
  d.link_starts_.assign(d.link_names_.size() + 1, 0);
  d.members_.reserve(pairs.size());
  for (const auto& [l, j] : pairs) {
    ++d.link_starts_[l + 1];
    d.members_.push_back(j);
  }
  std::partial_sum(d.link_starts_.begin(), d.link_starts_.end(), d.link_starts_.begin());
  d.jid_chars_.shrink_to_fit();
  return d;
}

// --- reading ---

std::string_view LinkDirectory::jid(std::uint32_t i) const {
  return std::string_view(jid_chars_)
      .substr(jid_offsets_[i], jid_offsets_[i + 1] - jid_offsets_[i]);
}

std::optional<std::uint32_t> LinkDirectory::find_jid(std::string_view user) const {
  std::uint32_t lo = 0, hi = static_cast<std::uint32_t>(people());
  while (lo < hi) {
    std::uint32_t mid = lo + (hi - lo) / 2;
    if (jid(mid) < user) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < people() && jid(lo) == user) return lo;
  return std::nullopt;
}

std::optional<std::uint32_t> LinkDirectory::find_link(std::string_view link) const {
  auto it = std::lower_bound(link_names_.begin(), link_names_.end(), link);
  if (it == link_names_.end() || *it != link) return std::nullopt;
  return static_cast<std::uint32_t>(it - link_names_.begin());
}

bool LinkDirectory::knows(std::string_view link) const {
  return find_link(link).has_value();
}

std::optional<std::string> LinkDirectory::canonical(std::string_view link) const {
  if (knows(link)) return std::string(link);
  for (const auto& name : link_names_) {
    if (iequal(name, link)) return name;
  }
  return std::nullopt;
}

bool LinkDirectory::member_of_any(const std::vector<std::string>& links,
                                  std::string_view user) const {
  if (links.empty()) return false;
  auto j = find_jid(user);
  if (!j) return false;
  for (const auto& link : links) {
    auto l = find_link(link);
    if (!l) continue;
    auto first = members_.begin() + link_starts_[*l],
         last = members_.begin() + link_starts_[*l + 1];
    if (std::binary_search(first, last, *j)) return true;
  }
  return false;
}

std::size_t LinkDirectory::member_count(std::string_view link) const {
  auto l = find_link(link);
  return l ? link_starts_[*l + 1] - link_starts_[*l] : 0;
}

std::size_t LinkDirectory::memory_bytes() const {
  std::size_t n = sizeof(*this) + jid_chars_.capacity() +
                  sizeof(std::uint32_t) *
                      (jid_offsets_.capacity() + link_starts_.capacity() + members_.capacity()) +
                  sizeof(std::string) * link_names_.capacity();
  for (const auto& name : link_names_) {
    if (name.capacity() > 15) n += name.capacity() + 1;
  }
  return n;
}

}  // namespace commonroom::muc
