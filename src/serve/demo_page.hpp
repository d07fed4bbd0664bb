#pragma once
// The demo page (src/serve/demo.html), compiled into the binary: `serve` needs no files beside it.
#include <string_view>

namespace pocketrec::serve {

std::string_view demo_page_html();

}  // namespace pocketrec::serve
