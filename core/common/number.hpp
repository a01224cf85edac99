// Whole decimal numbers from text (STYLE 3: std::from_chars, never
// atoi/stoi, which throw or read garbage as 0): the whole text must be the
// number, in the range of T; nothing else is one.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>

namespace bulwark {

template <typename T>
std::optional<T> toNumber(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace bulwark
