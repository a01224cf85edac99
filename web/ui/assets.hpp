// The static files of the WBM, embedded into the binary at build time
// (embed.cmake turns every file of web/ui/static into assets.cpp).
#pragma once

#include <string_view>

namespace bulwark::web::ui {

struct Asset {
  std::string_view path;  // "/index.html"
  std::string_view contentType;
  std::string_view content;
};

// The asset at `path`, or null.
const Asset* find(std::string_view path);

}  // namespace bulwark::web::ui
