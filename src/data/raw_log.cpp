#include "data/raw_log.hpp"

#include "core/text.hpp"

namespace pocketrec {

uint32_t RawLog::intern_user(std::string_view id) {
  auto [it, inserted] = user_index_.try_emplace(std::string(id), user_ids.size());
  if (inserted) user_ids.emplace_back(id);
  return it->second;
}

uint32_t RawLog::intern_item(std::string_view id) {
  auto [it, inserted] = item_index_.try_emplace(std::string(id), item_ids.size());
  if (inserted) item_ids.emplace_back(id);
  return it->second;
}

void RawLog::add(std::string_view user, std::string_view item, int64_t time, float rating) {
  const RawEvent event{intern_user(user), intern_item(item), time, rating};
  ++added;
  if (sink) {
    sink(event);
  } else {
    events.push_back(event);
  }
}

int year_from_title(std::string_view title) {
  title = trim(title);
  // MovieLens puts the year last, in parentheses; some titles have other parentheses before it.
  if (title.size() < 6 || title.back() != ')') return 0;
  size_t open = title.rfind('(');
  if (open == std::string_view::npos) return 0;
  auto inner = title.substr(open + 1, title.size() - open - 2);
  // "(1995-1996)" style ranges: take the first year.
  if (inner.size() > 4) inner = inner.substr(0, 4);
  auto year = parse_int(inner);
  if (!year || *year < 1800 || *year > 2100) return 0;
  return static_cast<int>(*year);
}

}  // namespace pocketrec
