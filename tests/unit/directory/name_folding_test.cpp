#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "directory/name_folding.hpp"

using commonroom::directory::count_chars;
using commonroom::directory::fold_for_search;
using commonroom::directory::split_words;

namespace {

TEST(NameFolding, DropsAccentsAndCase) {
  EXPECT_EQ(fold_for_search("José"), "jose");
  EXPECT_EQ(fold_for_search("JOSÉ"), "jose");
  EXPECT_EQ(fold_for_search("Nguyễn Thị Minh Khai"), "nguyen thi minh khai");
  EXPECT_EQ(fold_for_search("Müller"), "muller");
  EXPECT_EQ(fold_for_search("Françoise Ça"), "francoise ca");
  // Decomposed input (e + combining acute) folds like the precomposed letter.
  EXPECT_EQ(fold_for_search("Jose\xCC\x81"), "jose");
}

TEST(NameFolding, SpellsLettersWithoutDecompositionInAscii) {
  EXPECT_EQ(fold_for_search("Straße"), "strasse");
  EXPECT_EQ(fold_for_search("Søren Kierkegård"), "soren kierkegard");
  EXPECT_EQ(fold_for_search("Łukasz Żółć"), "lukasz zolc");
  EXPECT_EQ(fold_for_search("Æthelred"), "aethelred");
  EXPECT_EQ(fold_for_search("Đorđe"), "dorde");
  EXPECT_EQ(fold_for_search("Þór"), "thor");
  EXPECT_EQ(fold_for_search("Œuvre"), "oeuvre");
  EXPECT_EQ(fold_for_search("İlker Işık"), "ilker isik");
}

TEST(NameFolding, TransliteratesOtherScriptsSoEitherSpellingFindsTheOther) {
  EXPECT_EQ(fold_for_search("王伟"), "wang wei");
  EXPECT_EQ(fold_for_search("Иван Петров"), "ivan petrov");
  EXPECT_EQ(fold_for_search("Σωκράτης"), "sokrates");
  // Transliteration marks for ʿayn/hamza and soft signs do not split or stay in words.
  EXPECT_EQ(fold_for_search("ʿAlī"), "ali");
  EXPECT_EQ(fold_for_search("Ольга"), "olga");
  EXPECT_EQ(fold_for_search("عمر"), "mr");  // Arabic script: consonants only
}

TEST(NameFolding, ApostrophesJoinAndOtherPunctuationSeparates) {
  EXPECT_EQ(fold_for_search("O'Brien"), "obrien");
  EXPECT_EQ(fold_for_search("O\u2019Brien"), "obrien");
  EXPECT_EQ(fold_for_search("Saint-Andre"), "saint andre");
  EXPECT_EQ(fold_for_search("a.brown@cam.ac.uk"), "a brown cam ac uk");
  EXPECT_EQ(fold_for_search("  Mary   Ann  "), "mary ann");
  EXPECT_EQ(fold_for_search("abc123"), "abc123");
  EXPECT_EQ(fold_for_search("Ｂｏｂ"), "bob");  // full-width letters
  EXPECT_EQ(fold_for_search(""), "");
  EXPECT_EQ(fold_for_search("-- ..."), "");
}

TEST(NameFolding, InvalidUtf8SeparatesWordsInsteadOfFailing) {
  EXPECT_EQ(fold_for_search("ab\xFF\xFE"
                            "cd"),
            "ab cd");
  EXPECT_EQ(fold_for_search("caf\xC3"), "caf");  // truncated sequence at the end
  EXPECT_EQ(fold_for_search("\xC3\xA9t\xE9"), "et");
}

TEST(NameFolding, SplitsWords) {
  EXPECT_EQ(split_words("mary ann smith"), (std::vector<std::string_view>{"mary", "ann", "smith"}));
  EXPECT_TRUE(split_words("").empty());
}

TEST(NameFolding, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_chars("ab"), 2u);
  EXPECT_EQ(count_chars("é"), 1u);
  EXPECT_EQ(count_chars("王伟"), 2u);
}

TEST(NameFolding, GivesTheSameAnswerOnManyThreadsAtOnce) {
  // ICU transliterators are not thread-safe: each thread must use its own.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"José Núñez", "jose nunez"}, {"王伟", "wang wei"}, {"Straße", "strasse"}, {"Иван", "ivan"}};
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const auto& [in, want] = cases[static_cast<size_t>((i + t) % 4)];
        if (fold_for_search(in) != want) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, (std::vector<int>{0, 0, 0, 0}));
}

}  // namespace
