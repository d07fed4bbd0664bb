/* Uses every call of the C API from plain C99. Usage: pocketrec_c_api_test MODEL.tflite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pocketrec/pocketrec.h"

static int failures = 0;
static int warnings = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static void on_log(int level, const char* message, void* user_data) {
  (void)message;
  if (level == PR_LOG_WARNING) ++*(int*)user_data;
}

static int contains(const pr_result* r, size_t n, const char* id) {
  size_t i;
  for (i = 0; i < n; ++i) {
    if (strcmp(r[i].id, id) == 0) return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  pr_model* model = NULL;
  pr_model* from_buffer = NULL;
  pr_session* session = NULL;
  pr_model_info info;
  pr_options options;
  pr_result results[64];
  size_t count = 0, i;
  const char* id0 = NULL;
  const char* id1 = NULL;
  const char* id2 = NULL;
  const char* title = NULL;
  uint32_t index = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.tflite\n", argv[0]);
    return 2;
  }
  pr_set_log_callback(on_log, &warnings);

  /* Errors come back as codes with a message, never as a crash. */
  /* The library's version is the headers' (this test links the build's own library), and the
   * build line names the SIMD target chosen for this CPU. */
  CHECK(strcmp(pr_version(), POCKETREC_VERSION_STRING) == 0);
  CHECK(strcmp(POCKETREC_VERSION_STRING, POCKETREC_PROJECT_VERSION) == 0);
  CHECK(strstr(pr_build_info(), "pocketrec " POCKETREC_VERSION_STRING "; ") == pr_build_info());
  CHECK(strstr(pr_build_info(), "; SIMD ") != NULL);
  CHECK(pr_model_load_file("/nonexistent/model.tflite", &model) == PR_INVALID_MODEL);
  CHECK(model == NULL);
  CHECK(strstr(pr_last_error(), "/nonexistent/model.tflite") != NULL);
  CHECK(strcmp(pr_status_name(PR_INVALID_MODEL), "invalid model") == 0);
  CHECK(pr_model_load_buffer("garbage!", 8, &model) == PR_INVALID_MODEL);
  CHECK(pr_model_load_file(NULL, &model) == PR_INVALID_ARGUMENT);

  CHECK(pr_model_load_file(argv[1], &model) == PR_OK);
  if (!model) return 1;
  {
    FILE* f = fopen(argv[1], "rb");
    long size;
    char* bytes;
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    bytes = (char*)malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    CHECK(pr_model_load_buffer_with(bytes, (size_t)size, NULL, &from_buffer) == PR_OK);
    free(bytes); /* the model keeps its own copy */
  }

  CHECK(pr_model_get_info(model, &info) == PR_OK);
  CHECK(info.items == pr_item_count(model));
  CHECK(info.items > 20);
  CHECK(info.context_length > 0);
  CHECK(info.fast_path == 1);
  CHECK(strcmp(info.layout, "newest-last") == 0 || strcmp(info.layout, "oldest-first") == 0);
  CHECK(pr_item_count(from_buffer) == info.items);

  CHECK(pr_item_get(model, 0, &id0, &title) == PR_OK);
  CHECK(pr_item_get(model, 1, &id1, NULL) == PR_OK);
  CHECK(pr_item_get(model, 2, &id2, NULL) == PR_OK);
  CHECK(title != NULL && strlen(title) > 0);
  CHECK(pr_item_get(model, (uint32_t)info.items, &id0, &title) == PR_INVALID_ARGUMENT);
  CHECK(pr_item_find(model, id1, &index) == PR_OK && index == 1);
  CHECK(pr_item_find(model, "no such item", &index) == PR_UNKNOWN_ITEM);
  CHECK(pr_item_genre_count(model, 0) >= 1);
  CHECK(pr_item_genre(model, 0, 0) != NULL);
  CHECK(pr_item_genre(model, 0, 1000) == NULL);

  CHECK(pr_session_create(model, &session) == PR_OK);
  pr_options_init(&options);
  CHECK(options.k == 10 && options.exclude_history == 1);
  {
    const char* history[3];
    history[0] = id0;
    history[1] = "not an item";
    history[2] = id1;
    CHECK(pr_recommend(session, history, 3, &options, results, 64, &count) == PR_OK);
    CHECK(count == 10);
    CHECK(warnings == 1); /* the unknown history id */
    CHECK(!contains(results, count, id0) && !contains(results, count, id1));
    for (i = 1; i < count; ++i) CHECK(results[i - 1].score >= results[i].score);

    /* Keep the history, block the best item, allow only three. */
    options.exclude_history = 0;
    options.blocked = &results[0].id;
    options.blocked_count = 1;
    {
      const char* best = results[0].id;
      CHECK(pr_recommend(session, history, 3, &options, results, 64, &count) == PR_OK);
      CHECK(!contains(results, count, best));
    }
    {
      const char* allowed[3];
      allowed[0] = id0;
      allowed[1] = id1;
      allowed[2] = id2;
      options.blocked_count = 0;
      options.allowed = allowed;
      options.allowed_count = 3;
      CHECK(pr_recommend(session, history, 3, &options, results, 64, &count) == PR_OK);
      CHECK(count == 3);
      for (i = 0; i < count; ++i) CHECK(results[i].index <= 2);
    }
    options.allowed_count = 0;
    options.k = 20;
    CHECK(pr_recommend(session, history, 3, &options, results, 5, &count) == PR_BUFFER_TOO_SMALL);
    options.k = -1;
    CHECK(pr_recommend(session, history, 3, &options, results, 64, &count) == PR_INVALID_ARGUMENT);
    options.k = 5;
    CHECK(pr_recommend(session, NULL, 0, &options, results, 64, &count) == PR_OK);
    CHECK(count == 5); /* an empty history still gets answers */
  }

  CHECK(pr_similar(session, id0, 5, results, 64, &count) == PR_OK);
  CHECK(count == 5 && !contains(results, count, id0));
  for (i = 1; i < count; ++i) CHECK(results[i - 1].score >= results[i].score);
  CHECK(pr_similar(session, "no such item", 5, results, 64, &count) == PR_UNKNOWN_ITEM);

  /* Without the exact filters: less memory, the same answers. */
  {
    pr_load_options load;
    pr_model* unfiltered = NULL;
    pr_session* plain = NULL;
    pr_model_info plain_info;
    pr_result expected[10];
    size_t expected_count = 0;
    const char* history[2];
    history[0] = id2;
    history[1] = id0;
    pr_load_options_init(&load);
    CHECK(load.prefilter == 1);
    CHECK(info.prefilter == 1); /* a float32 table this small gets the 8-bit prefilter */
    load.prefilter = 0;
    CHECK(pr_model_load_file_with(argv[1], &load, &unfiltered) == PR_OK);
    CHECK(pr_model_load_file_with(NULL, &load, &unfiltered) == PR_INVALID_ARGUMENT);
    if (unfiltered) {
      CHECK(pr_model_get_info(unfiltered, &plain_info) == PR_OK);
      CHECK(plain_info.prefilter == 0);
      CHECK(plain_info.table_bytes > 0 && plain_info.table_bytes < info.table_bytes);
      CHECK(pr_session_create(unfiltered, &plain) == PR_OK);
      pr_options_init(&options);
      CHECK(pr_recommend(session, history, 2, &options, expected, 10, &expected_count) == PR_OK);
      CHECK(pr_recommend(plain, history, 2, &options, results, 64, &count) == PR_OK);
      CHECK(count == expected_count && count == 10);
      for (i = 0; i < count && i < expected_count; ++i) {
        CHECK(results[i].index == expected[i].index && results[i].score == expected[i].score);
      }
      pr_session_free(plain);
      pr_model_free(unfiltered);
    }
  }

  pr_session_free(session);
  pr_model_free(from_buffer);
  pr_model_free(model);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c api: ok\n");
  return 0;
}
