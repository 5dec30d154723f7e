// Folding of names and addresses to the form the directory search compares, so that
// "jose" finds "José", "strasse" finds "Straße" and "ivan" finds "Иван".
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace commonroom::directory {

// Folds UTF-8 text for search and returns its words separated by single spaces:
//  - text in other scripts is transliterated to Latin (ICU "Any-Latin"), so 王伟 becomes
//    "wang wei" and Иван "ivan" — the same folding runs on the query, so either spelling
//    finds the other;
//  - then to ASCII where a Latin letter has an ASCII spelling ("Latin-ASCII": ß -> ss,
//    æ -> ae, ø -> o, ł -> l, đ -> d, þ -> th, œ -> oe), accents are dropped and
//    everything is lower-cased;
//  - apostrophes vanish ("O'Brien" -> "obrien"); any other character that is not a
//    letter or a digit separates words ("Saint-Andre" -> "saint andre",
//    "a.b@cam.ac.uk" -> "a b cam ac uk").
// Invalid UTF-8 never throws: bad bytes separate words. Safe to call from any thread (each
// thread keeps its own ICU transliterator; ICU's are not thread-safe).
std::string fold_for_search(std::string_view text);

// The words of folded text (as returned by fold_for_search), in order.
std::vector<std::string_view> split_words(std::string_view folded);

// Number of code points in valid UTF-8 (what "at least two characters" counts).
std::size_t count_chars(std::string_view utf8);

}  // namespace commonroom::directory
