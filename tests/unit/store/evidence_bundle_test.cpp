// Evidence bundles without a database: the tar format, the manifest's hashes and what
// verify_bundle catches.
#include "store/evidence_bundle.hpp"

#include <gtest/gtest.h>

#include "store/json_text.hpp"

using namespace commonroom::store;

namespace {

LogEvent message(std::string id, std::string body, std::string raw = "<message/>") {
  LogEvent e;
  e.event_id = std::move(id);
  e.room = "lobby@conference.cam.example";
  e.kind = "groupchat";
  e.occurred_at = "2026-11-24T10:01:00.000000Z";
  e.actor_jid = "mallory@cam.example/pc";
  e.body = std::move(body);
  e.raw = std::move(raw);
  return e;
}

std::vector<BundleFile> bundle() {
  ExportInfo info{{"staff@cam.example", "CASE 7/b"}, "{\"words\":\"x\"}", "2026-12-01T00:00:00Z"};
  return evidence_files({message("e1", "hello, \"world\"\nbye"), message("e2", "=1+2", "")}, info);
}

const BundleFile& file(const std::vector<BundleFile>& files, const std::string& suffix) {
  for (const auto& f : files)
    if (f.name.ends_with(suffix)) return f;
  throw std::runtime_error("no " + suffix);
}

}  // namespace

TEST(EvidenceBundle, TarRoundTripKeepsNamesContentAndOrder) {
  const auto files = bundle();
  const std::string tar = write_tar(files, 1795946460);
  EXPECT_EQ(tar.size() % 512, 0u);
  const auto back = read_tar(tar);
  ASSERT_EQ(back.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(back[i].name, files[i].name);
    EXPECT_EQ(back[i].content, files[i].content);
  }
  // The case reference becomes a safe directory name.
  EXPECT_EQ(files.front().name, "evidence-CASE_7_b/messages.json");
}

TEST(EvidenceBundle, CsvQuotesFieldsAndNeutralisesFormulas) {
  const std::string csv = file(bundle(), "/messages.csv").content;
  EXPECT_NE(csv.find("\"hello, \"\"world\"\"\nbye\""), std::string::npos) << csv;
  EXPECT_NE(csv.find(",'=1+2,"), std::string::npos) << csv;
  // JSON keeps the text exactly.
  const std::string json = file(bundle(), "/messages.json").content;
  EXPECT_NE(json.find("\"hello, \\\"world\\\"\\nbye\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"=1+2\""), std::string::npos);
}

TEST(EvidenceBundle, VerifyAcceptsTheBundleAsWritten) {
  const auto check = verify_bundle(write_tar(bundle(), 0));
  EXPECT_EQ(check.case_ref, "CASE 7/b");
  EXPECT_EQ(check.exported_by, "staff@cam.example");
  EXPECT_EQ(check.messages, 2);
  EXPECT_EQ(check.files_checked, 3u);  // json, csv, one raw stanza (e2 has none)
  EXPECT_EQ(check.manifest_sha256, sha256_hex(file(bundle(), "/manifest.json").content));
}

TEST(EvidenceBundle, VerifyNamesAChangedAddedOrMissingFile) {
  auto changed = bundle();
  changed[0].content[3] = 'X';
  EXPECT_THROW(
      {
        try {
          verify_bundle(write_tar(changed, 0));
        } catch (const BundleError& e) {
          EXPECT_NE(std::string(e.what()).find("messages.json was changed"), std::string::npos);
          throw;
        }
      },
      BundleError);
  auto added = bundle();
  added.push_back({"evidence-CASE_7_b/raw/000009.xml", "<message/>"});
  EXPECT_THROW(verify_bundle(write_tar(added, 0)), BundleError);
  auto missing = bundle();
  missing.erase(missing.begin() + 1);  // messages.csv
  EXPECT_THROW(verify_bundle(write_tar(missing, 0)), BundleError);
}

TEST(EvidenceBundle, DamagedOrTruncatedArchivesAreRefused) {
  std::string tar = write_tar(bundle(), 0);
  std::string damaged = tar;
  damaged[10] ^= 1;  // inside the first header's name: the checksum no longer matches
  EXPECT_THROW(read_tar(damaged), BundleError);
  EXPECT_THROW(read_tar(tar.substr(0, 700)), BundleError);
  EXPECT_THROW(read_tar("not a tar"), BundleError);
}

TEST(JsonText, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(JsonObject().string("k", "v").number("n", 3).raw("d", "").str(),
            "{\"k\":\"v\",\"n\":3,\"d\":null}");
}
