// The smallest C++ program on the installed runtime, linked statically: load a model, recommend
// for a history of catalog ids with titles.
//   recommend_cpp MODEL.tflite ID [ID...]
#include <pocketrec/recommender.hpp>

#include <cstdio>
#include <exception>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.tflite ID [ID...]\n", argv[0]);
    return 2;
  }
  try {
    auto model = pocketrec::Recommender::load_file(argv[1]);
    std::vector<uint32_t> history;
    for (int i = 2; i < argc; ++i) {
      if (auto index = model->find(argv[i])) history.push_back(*index);
    }
    pocketrec::Session session(model);
    pocketrec::Query query;
    query.history = history;
    query.k = 10;
    std::vector<pocketrec::Result> results;
    session.recommend(query, results);
    for (const auto& r : results) {
      const pocketrec::Item& item = model->item(r.item);
      std::printf("%s %.4f %s\n", item.id.c_str(), r.score, item.title.c_str());
    }
  } catch (const pocketrec::Error& e) {  // a model that does not load, ...
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
