/* The smallest C program on the installed runtime: load a model, recommend for a history.
 *   recommend_c MODEL.tflite ID [ID...] */
#include <pocketrec/pocketrec.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.tflite ID [ID...]\n", argv[0]);
    return 2;
  }
  fprintf(stderr, "%s (headers %s)\n", pr_build_info(), POCKETREC_VERSION_STRING);
  pr_model* model = NULL;
  if (pr_model_load_file(argv[1], &model) != PR_OK) {
    fprintf(stderr, "%s\n", pr_last_error());
    return 1;
  }
  pr_session* session = NULL;
  pr_result results[10];
  size_t count = 0;
  pr_options options;
  pr_options_init(&options);
  options.k = 10;
  pr_status status = pr_session_create(model, &session);
  if (status == PR_OK) {
    status = pr_recommend(session, (const char* const*)(argv + 2), (size_t)(argc - 2), &options,
                          results, 10, &count);
  }
  if (status != PR_OK) fprintf(stderr, "%s: %s\n", pr_status_name(status), pr_last_error());
  for (size_t i = 0; i < count; ++i) printf("%s %.4f\n", results[i].id, results[i].score);
  pr_session_free(session);
  pr_model_free(model);
  return status == PR_OK ? 0 : 1;
}
