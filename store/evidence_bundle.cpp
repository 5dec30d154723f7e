#include "store/evidence_bundle.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "store/json_text.hpp"

namespace commonroom::store {

namespace {

constexpr size_t kBlock = 512;

void octal(char* field, size_t width, unsigned long long value) {
  // width-1 octal digits and a NUL, as ustar wants.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1), value);
}

unsigned long long parse_octal(const char* field, size_t width) {
  unsigned long long v = 0;
  for (size_t i = 0; i < width && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7') throw BundleError("not a tar archive (bad number)");
    v = v * 8 + static_cast<unsigned long long>(field[i] - '0');
  }
  return v;
}

unsigned header_sum(const char* h) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  return sum;
}

// Directory name from the case reference: letters, digits, '.', '_' and '-' only.
std::string bundle_dir(const std::string& case_ref) {
  std::string out = "evidence-";
  for (char c : case_ref.substr(0, 60))
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return out;
}

// RFC 4180 field. A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR first) is
// prefixed with ' so opening the CSV cannot execute what an abuser wrote; messages.json
// keeps the text exactly.
std::string csv_field(const std::string& s) {
  std::string v = s;
  if (!v.empty() && std::strchr("=+-@\t\r", v[0]) != nullptr) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string raw_name(size_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "raw/%06zu.xml", index + 1);
  return buf;
}

}  // namespace

std::string sha256_hex(const std::string& data) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(data.data(), static_cast<unsigned>(data.size()));
  return Poco::DigestEngine::digestToHex(sha.digest());
}

std::string write_tar(const std::vector<BundleFile>& files, long long mtime) {
  std::string out;
  for (const auto& f : files) {
    if (f.name.empty() || f.name.size() > 100)
      throw BundleError("tar entry names have 1 to 100 bytes: " + f.name);
    char h[kBlock] = {};
    std::memcpy(h, f.name.data(), f.name.size());
    octal(h + 100, 8, 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, f.content.size());
    octal(h + 136, 12, static_cast<unsigned long long>(mtime));
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 6);
    std::memcpy(h + 263, "00", 2);
    std::snprintf(h + 148, 8, "%06o", header_sum(h));
    h[155] = ' ';
    out.append(h, kBlock);
    out += f.content;
    out.append((kBlock - f.content.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');
  return out;
}

std::vector<BundleFile> read_tar(const std::string& archive) {
  std::vector<BundleFile> out;
  size_t at = 0;
  while (true) {
    if (at + kBlock > archive.size()) throw BundleError("the archive is truncated (no end marker)");
    const char* h = archive.data() + at;
    if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) break;
    if (parse_octal(h + 148, 8) != header_sum(h))
      throw BundleError("not a tar archive, or a damaged header at byte " + std::to_string(at));
    BundleFile f;
    f.name.assign(h, strnlen(h, 100));
    const size_t prefix = strnlen(h + 345, 155);
    if (prefix) f.name = std::string(h + 345, prefix) + "/" + f.name;
    const auto size = parse_octal(h + 124, 12);
    const char type = h[156];
    at += kBlock;
    if (at + size > archive.size()) throw BundleError(f.name + " is truncated");
    if (type == '0' || type == '\0') {
      f.content = archive.substr(at, size);
      out.push_back(std::move(f));
    } else if (type != '5') {
      throw BundleError(f.name + " is not a regular file (tar type " + std::string(1, type) + ")");
    }
    at += (size + kBlock - 1) / kBlock * kBlock;
  }
  return out;
}

std::vector<BundleFile> evidence_files(const std::vector<LogEvent>& events,
                                       const ExportInfo& info) {
  const std::string dir = bundle_dir(info.who.case_ref) + "/";
  std::vector<BundleFile> files;
  std::string json = "[\n", csv;
  csv =
      "occurred_at,room,kind,actor_jid,actor_nick,occupant_id,target,body,stanza_id,event_id,"
      "retracted_at,retracted_by,retraction_reason,raw_file\r\n";
  std::vector<BundleFile> raws;
  for (size_t i = 0; i < events.size(); ++i) {
    const LogEvent& e = events[i];
    const std::string raw = e.raw.empty() ? "" : raw_name(raws.size());
    if (!raw.empty()) raws.push_back({dir + raw, e.raw});
    json += (i ? ",\n" : "") + log_event_json(e, raw);
    for (const auto* f : {&e.occurred_at, &e.room, &e.kind, &e.actor_jid, &e.actor_nick,
                          &e.occupant_id, &e.target, &e.body, &e.stanza_id, &e.event_id,
                          &e.retracted_at, &e.retracted_by, &e.retraction_reason, &raw})
      csv += csv_field(*f) + (f == &raw ? "\r\n" : ",");
  }
  json += "\n]\n";
  files.push_back({dir + "messages.json", json});
  files.push_back({dir + "messages.csv", csv});
  for (auto& r : raws) files.push_back(std::move(r));

  std::string sums, listing = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string name = files[i].name.substr(dir.size());
    const std::string hash = sha256_hex(files[i].content);
    sums += hash + "  " + name + "\n";  // sha256sum -c format
    JsonObject f;
    f.string("name", name)
        .string("sha256", hash)
        .number("bytes", static_cast<long long>(files[i].content.size()));
    listing += (i ? ",\n  " : "\n  ") + f.str();
  }
  listing += "\n]";
  files.push_back({dir + "SHA256SUMS", sums});
  JsonObject manifest;
  manifest.string("format", "commonroom-evidence-1")
      .string("case", info.who.case_ref)
      .string("exported_by", info.who.actor)
      .string("exported_at", info.exported_at)
      .raw("query", info.query_json)
      .number("messages", static_cast<long long>(events.size()))
      .raw("files", listing);
  files.push_back({dir + "manifest.json", manifest.str() + "\n"});
  return files;
}

BundleCheck verify_bundle(const std::string& archive) {
  const auto files = read_tar(archive);
  const BundleFile* manifest_file = nullptr;
  for (const auto& f : files)
    if (f.name.ends_with("/manifest.json")) manifest_file = &f;
  if (!manifest_file) throw BundleError("the archive has no manifest.json");
  const std::string dir =
      manifest_file->name.substr(0, manifest_file->name.size() - std::strlen("manifest.json"));
  BundleCheck check;
  Poco::JSON::Object::Ptr m;
  try {
    m = Poco::JSON::Parser().parse(manifest_file->content).extract<Poco::JSON::Object::Ptr>();
    check.case_ref = m->getValue<std::string>("case");
    check.exported_by = m->getValue<std::string>("exported_by");
    check.exported_at = m->getValue<std::string>("exported_at");
    check.messages = m->getValue<long long>("messages");
    std::ostringstream q;
    m->getObject("query")->stringify(q);
    check.query_json = q.str();
  } catch (const Poco::Exception& e) {
    throw BundleError("manifest.json is not a commonroom evidence manifest: " + e.displayText());
  }
  check.manifest_sha256 = sha256_hex(manifest_file->content);
  std::map<std::string, const BundleFile*> by_name;
  for (const auto& f : files) by_name[f.name] = &f;
  std::set<std::string> listed;
  auto list = m->getArray("files");
  if (!list) throw BundleError("manifest.json lists no files");
  for (size_t i = 0; i < list->size(); ++i) {
    auto entry = list->getObject(static_cast<unsigned>(i));
    const std::string name = entry->getValue<std::string>("name");
    const std::string want = entry->getValue<std::string>("sha256");
    auto it = by_name.find(dir + name);
    if (it == by_name.end()) throw BundleError(name + " is listed in the manifest but missing");
    const std::string got = sha256_hex(it->second->content);
    if (got != want)
      throw BundleError(name + " was changed: its SHA-256 is " + got + ", the manifest says " +
                        want);
    listed.insert(dir + name);
    ++check.files_checked;
  }
  for (const auto& f : files)
    if (!listed.count(f.name) && f.name != dir + "manifest.json" && f.name != dir + "SHA256SUMS")
      throw BundleError(f.name.substr(dir.size()) + " is not in the manifest (added later?)");
  return check;
}

ExportResult audited_export(pqxx::connection_base& connection, const CaseAccess& who,
                            const LogQuery& q, int max_events) {
  check_case_access(who);
  if (max_events < 1 || max_events > 1000000)
    throw LogQueryError("an export holds 1 to 1000000 events");
  const LogQuery query = prepared(q);
  pqxx::work tx(connection, "log export");
  LogPage page = search_log(tx, query, "", max_events, true);
  if (!page.next.empty())
    throw LogQueryError("more than " + std::to_string(max_events) +
                        " events match; narrow the query or raise the limit");
  std::reverse(page.events.begin(), page.events.end());  // evidence reads oldest first
  ExportInfo info{
      who, query_json(query),
      tx.exec_params1("SELECT to_char(now() AT TIME ZONE 'UTC', $1)", log_event_sql::kTimeFormat)[0]
          .as<std::string>()};
  const auto files = evidence_files(page.events, info);
  const long long mtime =
      tx.exec1("SELECT floor(extract(epoch FROM now()))::bigint")[0].as<long long>();
  ExportResult r;
  r.archive = write_tar(files, mtime);
  r.messages = static_cast<long long>(page.events.size());
  r.archive_sha256 = sha256_hex(r.archive);
  r.manifest_sha256 = sha256_hex(files.back().content);
  JsonObject extra;
  extra.string("archive_sha256", r.archive_sha256).string("manifest_sha256", r.manifest_sha256);
  record_log_access(tx, who, "log.export", info.query_json, r.messages, extra.str());
  tx.commit();
  return r;
}

}  // namespace commonroom::store
