#include "data/synth.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"

namespace pocketrec {
namespace {

const std::vector<std::string> kGenres = {
    "Action",  "Adventure", "Animation", "Comedy",  "Crime",  "Documentary", "Drama",
    "Fantasy", "Horror",    "Musical",   "Romance", "Sci-Fi", "Thriller",    "Western"};
const std::vector<std::string> kAdjectives = {"Silent", "Crimson", "Last",    "Hidden", "Golden",
                                              "Broken", "Endless", "Wild",    "Frozen", "Secret",
                                              "Lonely", "Burning", "Distant", "Iron",   "Midnight"};
const std::vector<std::string> kNouns = {"River",   "Empire",  "Garden", "Signal",  "Harbor",
                                         "Mirror",  "Storm",   "Voyage", "Circus",  "Frontier",
                                         "Orchard", "Machine", "Crown",  "Lantern", "Canyon"};

struct Item {
  int genre;
  int second_genre;  // -1 for none
  double weight;     // popularity
  int series_next;   // the item a viewer of this one tends to watch next, -1 for none
};

}  // namespace

size_t write_synth_dataset(const SynthOptions& options, const std::string& folder) {
  if (options.users < 1 || options.items < 20 || options.mean_length < 5) {
    throw Error("synth: need at least 1 user, 20 items and a mean length of 5");
  }
  std::mt19937_64 rng(options.seed);
  const int genres = static_cast<int>(kGenres.size());
  std::vector<Item> items(options.items);
  std::vector<int> rank(options.items);
  for (int i = 0; i < options.items; ++i) rank[i] = i + 1;
  std::shuffle(rank.begin(), rank.end(), rng);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::vector<int>> by_genre(genres);
  for (int i = 0; i < options.items; ++i) {
    items[i].genre = static_cast<int>(rng() % genres);
    items[i].second_genre = unit(rng) < 0.4 ? static_cast<int>(rng() % genres) : -1;
    items[i].weight = 1.0 / std::pow(static_cast<double>(rank[i]), 0.9);
    items[i].series_next = -1;
    by_genre[items[i].genre].push_back(i);
  }
  // Series: runs of 2-5 items of one genre watched in order.
  for (auto& members : by_genre) {
    for (size_t k = 0; k + 1 < members.size(); ++k) {
      if (unit(rng) < 0.6) items[members[k]].series_next = members[k + 1];
    }
  }
  std::vector<std::discrete_distribution<int>> pick(genres);
  for (int g = 0; g < genres; ++g) {
    std::vector<double> weights;
    for (int i : by_genre[g]) weights.push_back(items[i].weight);
    if (weights.empty()) weights.push_back(1.0);
    pick[g] = std::discrete_distribution<int>(weights.begin(), weights.end());
  }

  std::filesystem::create_directories(folder);
  auto path = std::filesystem::path(folder);
  // Streamed: a 100M-interaction log is several GB of text.
  AtomicFileWriter ratings_file((path / "ratings.dat").string());
  std::string ratings;
  size_t count = 0;
  // seen[item] == user marks this user's items without clearing a table per user.
  std::vector<int> seen(options.items, 0);
  std::optional<ProgressBar> bar;
  if (options.progress) bar.emplace("synth", static_cast<uint64_t>(options.users), "users");
  std::lognormal_distribution<double> length_dist(std::log(options.mean_length) - 0.5, 1.0);
  for (int user = 1; user <= options.users; ++user) {
    int length = std::clamp(static_cast<int>(length_dist(rng)), 5, options.items / 2);
    int genre = static_cast<int>(rng() % genres);
    int favourite = genre;
    int previous = -1;
    int64_t time = 956703932 + static_cast<int64_t>(rng() % 10000000);
    for (int step = 0; step < length; ++step) {
      // Tastes drift: mostly stay, sometimes move to a neighbouring genre or back home.
      double r = unit(rng);
      if (r < 0.08)
        genre = (genre + 1) % genres;
      else if (r < 0.12)
        genre = favourite;
      else if (r < 0.14)
        genre = static_cast<int>(rng() % genres);
      int item = -1;
      if (previous >= 0 && items[previous].series_next >= 0 && unit(rng) < 0.5 &&
          seen[items[previous].series_next] != user) {
        item = items[previous].series_next;
      }
      for (int attempt = 0; item < 0 && attempt < 20; ++attempt) {
        if (by_genre[genre].empty()) break;
        int candidate = by_genre[genre][pick[genre](rng)];
        if (seen[candidate] != user) item = candidate;
      }
      if (item < 0) continue;
      seen[item] = user;
      previous = item;
      time += 1 + static_cast<int64_t>(rng() % 3600);
      int stars = std::clamp(static_cast<int>(3.5 + 1.2 * (unit(rng) - 0.3) * 2), 1, 5);
      ratings += std::to_string(user) + "::" + std::to_string(item + 1) +
                 "::" + std::to_string(stars) + "::" + std::to_string(time) + "\n";
      ++count;
    }
    if (ratings.size() >= (size_t{1} << 22)) {
      ratings_file.write(ratings);
      ratings.clear();
      if (interrupted()) throw Error("interrupted: " + folder + " not written");
      if (bar) bar->update(static_cast<uint64_t>(user));
    }
  }
  ratings_file.write(ratings);
  if (bar) bar->finish();

  std::string movies;
  for (int i = 0; i < options.items; ++i) {
    std::string title = "The " + kAdjectives[(i * 7) % kAdjectives.size()] + " " +
                        kNouns[(i * 11 + i / 15) % kNouns.size()];
    if (i >= 225) title += " " + std::to_string(i / 225 + 1);
    title += " (" + std::to_string(1950 + static_cast<int>(i * 37 % 50)) + ")";
    std::string genre_list = kGenres[items[i].genre];
    if (items[i].second_genre >= 0 && items[i].second_genre != items[i].genre) {
      genre_list += "|" + kGenres[items[i].second_genre];
    }
    movies += std::to_string(i + 1) + "::" + title + "::" + genre_list + "\n";
  }
  // users.dat in MovieLens' coding (age groups, occupation 0-20); derived from the user number
  // so the ratings above stay what they were before users were written.
  std::string users;
  static const int kAgeGroups[] = {1, 18, 25, 35, 45, 50, 56};
  for (int user = 1; user <= options.users; ++user) {
    char line[96];
    std::snprintf(line, sizeof line, "%d::%s::%d::%d::%d\n", user, user % 2 ? "M" : "F",
                  kAgeGroups[user * 5 % 7], user * 13 % 21, 10000 + user * 7);
    users += line;
  }
  write_file_atomically((path / "users.dat").string(), users);
  write_file_atomically((path / "movies.dat").string(), movies);
  ratings_file.commit();
  write_file_atomically((path / "README").string(),
                        "Synthetic MovieLens-shaped data written by 'pocketrec synth' (seed " +
                            std::to_string(options.seed) + "). Not real user data.\n");
  return count;
}

}  // namespace pocketrec
