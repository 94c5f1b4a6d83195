// SO_PEERCRED for Node: the uid, gid and pid of the process at the other end of a connected unix
// socket, as the kernel recorded them at connect(). Node's net module has no binding for it.
// Also the other libc calls berth needs and Node does not bind: malloc_trim and madvise of clean
// file pages (reclaim.ts says why), and keepOnExec(fd) (Node marks inherited descriptors
// close-on-exec, so the rootless launcher's process.execve would lose systemd's sockets without it).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int err) {
  napi_throw_error(env, NULL, strerror(err));
  return NULL;
}

static napi_value set_int(napi_env env, napi_value obj, const char* name, int64_t v) {
  napi_value n;
  napi_create_int64(env, v, &n);
  napi_set_named_property(env, obj, name, n);
  return obj;
}

// peercred(fd) -> { pid, uid, gid }
static napi_value peercred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peercred: expected a file descriptor");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno);
  napi_value obj;
  napi_create_object(env, &obj);
  set_int(env, obj, "pid", cred.pid);
  set_int(env, obj, "uid", cred.uid);
  set_int(env, obj, "gid", cred.gid);
  return obj;
}

// mallocTrim() -> whether memory went back to the kernel. glibc keeps the pages of freed
// allocations inside its heaps (only the top of the main one is ever trimmed by free); this hands
// back every free page of every arena. Without glibc there is nothing to do: false.
static napi_value malloc_trim_js(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#ifdef __GLIBC__
  released = malloc_trim(0);
#endif
  napi_value b;
  napi_get_boolean(env, released != 0, &b);
  return b;
}

// dropFilePages() -> KiB unmapped. The pages a process has touched of its executable and
// libraries stay in its RSS for as long as it lives, although they are the page cache's (clean,
// shared, read again from memory at the next touch). This drops them from the page tables of
// every mapping that is file-backed, not writable and holds no private copy (Anonymous and Swap
// 0: MADV_DONTNEED would otherwise discard those copies, e.g. the relocated RELRO pages); the
// page cache keeps them, so the next touch is a minor fault. Ranges are gathered first and
// advised after smaps is closed.
struct range { unsigned long start, end; };
static napi_value drop_file_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool code = false;
  if (argc >= 1) napi_get_value_bool(env, argv[0], &code);
  FILE* f = fopen("/proc/self/smaps", "re");
  if (!f) return throw_errno(env, errno);
  size_t cap = 64, n = 0;
  struct range* rs = malloc(cap * sizeof *rs);
  char line[1024];
  unsigned long start = 0, end = 0, rss = 0, inode = 0;
  int candidate = 0, privateCopy = 0, have = 0;
  double dropped = 0;
#define FLUSH()                                                                      \
  do {                                                                               \
    if (have && candidate && !privateCopy && rss > 0 && rs) {                          \
      if (n == cap) {                                                                \
        struct range* g = realloc(rs, (cap *= 2) * sizeof *rs);                      \
        if (!g) { free(rs); rs = NULL; break; }                                      \
        rs = g;                                                                      \
      }                                                                              \
      rs[n].start = start; rs[n].end = end; n++; dropped += rss;                     \
    }                                                                                \
  } while (0)
  int continued = 0;
  while (fgets(line, sizeof line, f)) {
    // The tail of a line longer than the buffer (a long path) is never read as a line of its own.
    int partial = strchr(line, '\n') == NULL && !feof(f);
    int tail = continued;
    continued = partial;
    if (tail) continue;
    char perms[8];
    unsigned long s0, e0, off, v;
    char dev[16];
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &s0, &e0, perms, &off, dev, &inode) == 6) {
      FLUSH();
      start = s0;
      end = e0;
      have = 1;
      rss = 0;
      privateCopy = 0;
      candidate = inode != 0 && perms[0] == 'r' && perms[1] != 'w' && (code || perms[2] != 'x');
      continue;
    }
    if (sscanf(line, "Rss: %lu kB", &v) == 1) rss = v;
    else if (sscanf(line, "Anonymous: %lu kB", &v) == 1 && v) privateCopy = 1;
    else if (sscanf(line, "Swap: %lu kB", &v) == 1 && v) privateCopy = 1;
    // mlocked (lo) or hugetlb (ht, whose private copies smaps does not count as Anonymous): left alone.
    else if (strncmp(line, "VmFlags:", 8) == 0 && (strstr(line, " lo") || strstr(line, " ht"))) privateCopy = 1;
  }
  FLUSH();
#undef FLUSH
  fclose(f);
  if (!rs) return throw_errno(env, ENOMEM);
  for (size_t i = 0; i < n; i++) madvise((void*)rs[i].start, rs[i].end - rs[i].start, MADV_DONTNEED);
  free(rs);
  napi_value out;
  napi_create_double(env, dropped, &out);
  return out;
}

// keepOnExec(fd): clears FD_CLOEXEC, so the descriptor survives execve.
static napi_value keep_on_exec(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "keepOnExec: expected a file descriptor");
    return NULL;
  }
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) return throw_errno(env, errno);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_js, NULL, &fn);
  napi_set_named_property(env, exports, "mallocTrim", fn);
  napi_create_function(env, "dropFilePages", NAPI_AUTO_LENGTH, drop_file_pages, NULL, &fn);
  napi_set_named_property(env, exports, "dropFilePages", fn);
  napi_create_function(env, "keepOnExec", NAPI_AUTO_LENGTH, keep_on_exec, NULL, &fn);
  napi_set_named_property(env, exports, "keepOnExec", fn);
  return exports;
}
