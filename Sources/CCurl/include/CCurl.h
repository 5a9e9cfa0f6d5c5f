// libcurl for Swift, loaded on demand. The handlers link no libcurl at all: the first transport
// calls ccurl_load(), which dlopens libcurl.so.4 and runs curl_global_init once, so a handler
// that never talks HTTP pays nothing for libcurl and its ~30 dependent libraries at exec
// (docs/BENCHMARKS.md, "libcurl linked into the handlers"). curl.h gives the types and constants;
// every call goes through the ccurl_ functions below, which also give the variadic
// curl_easy_setopt, curl_multi_setopt, curl_share_setopt and curl_easy_getinfo typed signatures
// Swift can call. Calling a curl_ function directly from Swift would fail to link, on purpose.
#ifndef TIDINGS_CCURL_H
#define TIDINGS_CCURL_H

#include <curl/curl.h>

/// The write and header callbacks' type (size_t fn(char *data, size_t size, size_t count, void *user)).
typedef size_t (*ccurl_data_callback)(char *, size_t, size_t, void *);

/// Loads libcurl and initialises it, once per process (thread-safe). Returns NULL on success, or
/// a message saying what failed (the library is missing, a symbol is, or curl_global_init failed).
/// No other ccurl_ function may be called before it has succeeded.
const char *ccurl_load(void);

CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);
CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_easy_setopt_share(CURL *handle, CURLSH *share);
CURLcode ccurl_easy_setopt_callback(CURL *handle, CURLoption option, ccurl_data_callback value);
/// Allows only http and https on the handle (CURLOPT_PROTOCOLS_STR from libcurl 7.85, the older
/// CURLOPT_PROTOCOLS bitmask with the headers of an older libcurl, such as RHEL 9's 7.76).
CURLcode ccurl_easy_allow_only_http(CURL *handle);
CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
/// Allows only smtp and smtps on the handle (the SMTP email service; same libcurl-version split
/// as ccurl_easy_allow_only_http).
CURLcode ccurl_easy_allow_only_smtp(CURL *handle);
/// Runs the transfer to its end on the calling thread (the SMTP service calls it on a thread of
/// its own, never on Swift's cooperative pool).
CURLcode ccurl_easy_perform(CURL *handle);

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *text);
void ccurl_slist_free_all(struct curl_slist *list);

CURLM *ccurl_multi_init(void);
CURLMcode ccurl_multi_cleanup(CURLM *multi);
CURLMcode ccurl_multi_add_handle(CURLM *multi, CURL *handle);
CURLMcode ccurl_multi_remove_handle(CURLM *multi, CURL *handle);
CURLMcode ccurl_multi_perform(CURLM *multi, int *running);
CURLMcode ccurl_multi_poll(CURLM *multi, int timeout_ms);
CURLMcode ccurl_multi_wakeup(CURLM *multi);
CURLMsg *ccurl_multi_info_read(CURLM *multi, int *queued);
const char *ccurl_multi_strerror(CURLMcode code);

CURLSH *ccurl_share_init(void);
CURLSHcode ccurl_share_cleanup(CURLSH *share);
CURLSHcode ccurl_share_setopt_long(CURLSH *share, CURLSHoption option, long value);

/// The result of a finished transfer (CURLMsg's data is a union Swift reads awkwardly).
CURLcode ccurl_message_result(const CURLMsg *message);

#endif
