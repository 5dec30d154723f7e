#include "directory/name_folding.hpp"

#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <memory>

namespace commonroom::directory {

namespace {

// Any-Latin first (it leaves Latin text alone), then Latin-ASCII for the letters NFD
// cannot split (ß, æ, ø, ł, đ, þ, œ, ...), then drop whatever accents remain and lower-case.
constexpr char kRules[] = "Any-Latin; Latin-ASCII; NFD; [:Nonspacing Mark:] Remove; Lower; NFC";

// ICU transliterators are not thread-safe; one per thread, created on first use. A null
// pointer (ICU data missing) degrades to ASCII-only folding rather than failing searches.
icu::Transliterator* thread_transliterator() {
  thread_local std::unique_ptr<icu::Transliterator> t = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> created(icu::Transliterator::createInstance(
        icu::UnicodeString::fromUTF8(kRules), UTRANS_FORWARD, status));
    if (U_FAILURE(status)) created.reset();
    return created;
  }();
  return t.get();
}

// Apostrophes and the marks transliterations use for sounds Latin lacks (Arabic ʿayn and
// hamza become ʿ and ʾ, Cyrillic soft and hard signs ʹ and ʺ): they vanish inside a word.
bool is_apostrophe(UChar32 c) {
  switch (c) {
    case '\'':
    case '`':
    case 0x00B4:
    case 0x2018:
    case 0x2019:
    case 0x02B9:
    case 0x02BA:
    case 0x02BB:
    case 0x02BC:
    case 0x02BE:
    case 0x02BF:
    case 0x02C8:
      return true;
    default:
      return false;
  }
}

// Appends `word_char`s and collapses every run of separators to one space.
class WordWriter {
 public:
  explicit WordWriter(std::string& out) : out_(out) {}
  void letter(char c) {
    if (pending_space_ && !out_.empty()) out_.push_back(' ');
    pending_space_ = false;
    out_.push_back(c);
  }
  void code_point(UChar32 c) {
    if (pending_space_ && !out_.empty()) out_.push_back(' ');
    pending_space_ = false;
    char buf[4];
    int32_t len = 0;
    UBool error = false;
    U8_APPEND(buf, len, 4, c, error);
    if (!error) out_.append(buf, static_cast<size_t>(len));
  }
  void separator() { pending_space_ = true; }

 private:
  std::string& out_;
  bool pending_space_ = false;
};

void fold_ascii(std::string_view text, std::string& out) {
  WordWriter w(out);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') {
      w.letter(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      w.letter(static_cast<char>(c));
    } else if (c == '\'' || c == '`') {
      // "O'Brien" and "OBrien" are the same person to someone typing a name
    } else {
      w.separator();
    }
  }
}

bool all_ascii(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

std::string fold_for_search(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Most names in a UK directory are plain ASCII: skip ICU for them (index builds fold
  // about a million strings).
  if (all_ascii(text)) {
    fold_ascii(text, out);
    return out;
  }

  // Decode by hand so invalid bytes become separators instead of U+FFFD letters.
  icu::UnicodeString u;
  {
    int32_t i = 0;
    const auto* s = reinterpret_cast<const uint8_t*>(text.data());
    const auto n = static_cast<int32_t>(text.size());
    while (i < n) {
      UChar32 c;
      U8_NEXT(s, i, n, c);
      u.append(c < 0 ? UChar32{' '} : c);
    }
  }
  if (icu::Transliterator* t = thread_transliterator()) {
    t->transliterate(u);
  } else {
    u.foldCase();
  }

  WordWriter w(out);
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    i += U16_LENGTH(c);
    if (c < 0x80) {
      auto a = static_cast<char>(c);
      if (a >= 'A' && a <= 'Z') {
        w.letter(static_cast<char>(a - 'A' + 'a'));
      } else if ((a >= 'a' && a <= 'z') || (a >= '0' && a <= '9')) {
        w.letter(a);
      } else if (is_apostrophe(c)) {
        // dropped, as in the ASCII path
      } else {
        w.separator();
      }
    } else if (is_apostrophe(c)) {
      // dropped
    } else if (u_isalnum(c) || u_charType(c) == U_COMBINING_SPACING_MARK) {
      // A letter the transliterator had no Latin spelling for: keep it as it is, lower-cased,
      // so a query in the same script still finds it.
      w.code_point(u_foldCase(c, U_FOLD_CASE_DEFAULT));
    } else {
      w.separator();
    }
  }
  return out;
}

std::vector<std::string_view> split_words(std::string_view folded) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < folded.size()) {
    while (i < folded.size() && folded[i] == ' ') ++i;
    size_t start = i;
    while (i < folded.size() && folded[i] != ' ') ++i;
    if (i > start) words.push_back(folded.substr(start, i - start));
  }
  return words;
}

std::size_t count_chars(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace commonroom::directory
