/* pocketrec C API: on-device top-K recommendation from a .tflite model.
 *
 * A pr_model is immutable once loaded and may be shared by any number of threads; each thread
 * uses its own pr_session (scratch space and interpreter state). Every call returns a pr_status;
 * on failure pr_last_error() gives a message for the calling thread. No C++ exception crosses
 * this interface. Compiles as C99. */
#ifndef POCKETREC_H_
#define POCKETREC_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define PR_API __declspec(dllexport)
#else
#define PR_API __attribute__((visibility("default")))
#endif

/* The version of these headers; pr_version() gives the library's (they differ when an app runs
 * with another build of the shared library than it was compiled against). */
#define POCKETREC_VERSION_MAJOR 0
#define POCKETREC_VERSION_MINOR 1
#define POCKETREC_VERSION_PATCH 0
#define POCKETREC_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pr_status {
  PR_OK = 0,
  PR_INVALID_ARGUMENT = 1, /* a null pointer, k < 0, an index out of range, ... */
  PR_INVALID_MODEL = 2,    /* unreadable, corrupt or unsupported model file */
  PR_UNKNOWN_ITEM = 3,     /* an id the model's catalog does not have */
  PR_BUFFER_TOO_SMALL = 4, /* results capacity below k */
  PR_OUT_OF_MEMORY = 5,
  PR_INTERNAL = 6
} pr_status;

typedef struct pr_model pr_model;
typedef struct pr_session pr_session;

/* The library's version, "MAJOR.MINOR.PATCH". */
PR_API const char* pr_version(void);
/* How the library was built and what it runs on, one line: version, compiler, and the SIMD
 * instruction set its kernels use on this CPU (chosen at run time), e.g.
 * "pocketrec 0.1.0; GCC 12.2.0; SIMD AVX3_DL". */
PR_API const char* pr_build_info(void);

/* A short name for a status ("ok", "invalid model", ...). */
PR_API const char* pr_status_name(pr_status status);
/* The message of the last failed call on this thread ("" if none). Valid until the next call. */
PR_API const char* pr_last_error(void);

enum { PR_LOG_INFO = 0, PR_LOG_WARNING = 1, PR_LOG_ERROR = 2 };
typedef void (*pr_log_fn)(int level, const char* message, void* user_data);
/* Receives warnings (unknown history ids, ...) and errors; NULL turns logging off. */
PR_API void pr_set_log_callback(pr_log_fn callback, void* user_data);

PR_API pr_status pr_model_load_file(const char* path, pr_model** out);
/* Copies the bytes; the buffer may be freed after the call. */
PR_API pr_status pr_model_load_buffer(const void* data, size_t size, pr_model** out);
PR_API void pr_model_free(pr_model* model);

/* How a model is loaded; pr_load_options_init sets the defaults. */
typedef struct pr_load_options {
  /* 1 (default): exact filters that answer queries faster for more memory, with the same results
   * (float32 tables up to 65,536 items: about twice the table; int8 tables of 8 MB and more, on
   * x86 with AVX2: 18-19 bytes per item at 32 dimensions). 0: every query scores every item. */
  int prefilter;
} pr_load_options;
PR_API void pr_load_options_init(pr_load_options* options);
/* The same loads with options (NULL: the defaults). */
PR_API pr_status pr_model_load_file_with(const char* path, const pr_load_options* options,
                                         pr_model** out);
PR_API pr_status pr_model_load_buffer_with(const void* data, size_t size,
                                           const pr_load_options* options, pr_model** out);

typedef struct pr_model_info {
  const char* encoder; /* "bow", "cnn", "gru", "lstm" or "unknown" */
  const char* layout;  /* "newest-last" or "oldest-first" */
  int context_length;
  int dim;
  size_t items;
  int quantized; /* int8 label table */
  int fast_path; /* SIMD scoring with filters (dual-encoder graphs) */
  size_t file_bytes;
  int prefilter;      /* an exact filter is in use (see pr_load_options) */
  size_t table_bytes; /* the label table as scored, filters included */
} pr_model_info;
PR_API pr_status pr_model_get_info(const pr_model* model, pr_model_info* out);

/* Catalog lookups. Strings live as long as the model. */
PR_API size_t pr_item_count(const pr_model* model);
PR_API pr_status pr_item_find(const pr_model* model, const char* id, uint32_t* index);
PR_API pr_status pr_item_get(const pr_model* model, uint32_t index, const char** id,
                             const char** title);
PR_API size_t pr_item_genre_count(const pr_model* model, uint32_t index);
PR_API const char* pr_item_genre(const pr_model* model, uint32_t index, size_t genre);

PR_API pr_status pr_session_create(const pr_model* model, pr_session** out);
PR_API void pr_session_free(pr_session* session);

typedef struct pr_options {
  int k;                      /* results wanted (default 10) */
  int exclude_history;        /* default 1 */
  const char* const* allowed; /* if allowed_count > 0, only these ids may be returned */
  size_t allowed_count;
  const char* const* blocked; /* never returned */
  size_t blocked_count;
} pr_options;
PR_API void pr_options_init(pr_options* options);

typedef struct pr_result {
  uint32_t index;
  const char* id; /* lives as long as the model */
  float score;
} pr_result;

/* history: item ids, oldest first; unknown ids are skipped (and logged as warnings). Writes up to
 * options->k results, best first, and their number to *count. */
PR_API pr_status pr_recommend(pr_session* session, const char* const* history, size_t history_count,
                              const pr_options* options, pr_result* results, size_t capacity,
                              size_t* count);
/* The k items closest to `id` (cosine of the label vectors), the item itself excluded. */
PR_API pr_status pr_similar(pr_session* session, const char* id, int k, pr_result* results,
                            size_t capacity, size_t* count);

#ifdef __cplusplus
}
#endif

#endif /* POCKETREC_H_ */
