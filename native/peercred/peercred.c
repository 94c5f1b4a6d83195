// SO_PEERCRED for Node: the uid, gid and pid of the process at the other end of a connected unix
// socket, as the kernel recorded them at connect(). Node's net module has no binding for it.
// Also the two other libc calls berth needs and Node does not bind: malloc_trim (reclaim.ts says
// why) and keepOnExec(fd) (Node marks inherited descriptors close-on-exec, so the rootless
// launcher's process.execve would lose systemd's sockets without it). And spawnDetached: a
// monitor (conmon) started without a copy of this process (see there why not Node's spawn).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
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


// ---- spawnDetached ------------------------------------------------------------------------------
// Node's spawn() forks: the kernel copies the page tables of the whole service (60-90 MiB
// resident) and the event loop waits until the child has exec'd (libuv blocks on its error
// pipe): 2-7 ms measured per conmon on this host, on the path of every start and exec. A child
// cloned with CLONE_VM|CLONE_VFORK (as glibc's posix_spawn does) copies nothing; the caller waits
// only for the exec. Not posix_spawn itself: its child leaves glibc's internal signals (32, 33)
// ignored, and an ignored signal stays ignored across exec, down to the container's process.

static void free_strv(char** v) {
  if (!v) return;
  for (char** p = v; *p; p++) free(*p);
  free(v);
}

static char* dup_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char* s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  // A NUL inside would cut the string short without a word: refuse it.
  if (strlen(s) != len) {
    free(s);
    return NULL;
  }
  return s;
}

// A JS array of strings as a NULL-terminated vector; `first` (if any) goes before them.
static char** get_strv(napi_env env, napi_value arr, const char* first) {
  bool is_arr = false;
  if (napi_is_array(env, arr, &is_arr) != napi_ok || !is_arr) return NULL;
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  size_t off = first ? 1 : 0;
  char** v = calloc(n + off + 1, sizeof *v);
  if (!v) return NULL;
  if (first && !(v[0] = strdup(first))) {
    free(v);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_valuetype t;
    napi_get_element(env, arr, i, &e);
    napi_typeof(env, e, &t);
    if (t != napi_string || !(v[i + off] = dup_string(env, e))) {
      free_strv(v);
      return NULL;
    }
  }
  return v;
}

// The child's exit is collected here: libuv reaps only the pids it spawned itself. A thread of its
// own, not the libuv pool: a monitor held on its start pipe lives as long as its holder likes.
static void* reap(void* arg) {
  pid_t pid = (pid_t)(intptr_t)arg;
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return NULL;
}

// A descriptor at or above `min` (so no dup2 target of the child is one of ours), close-on-exec.
static int fd_above(int fd, int min) {
  if (fd < 0 || fd >= min) return fd;
  int n = fcntl(fd, F_DUPFD_CLOEXEC, min);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

#define MAX_FDS 16

// The kernel's sigaction and sigset (glibc's wrappers refuse its internal signals).
struct ksigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};
static void set_mask(unsigned long mask, unsigned long* old) {
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, old, sizeof mask);
}

typedef struct {
  const char* file;
  char** args;
  char** envp;
  const char* cwd;
  uint32_t nfds;
  int* theirs;
  int devnull;
  int err;
} child_t;

// Runs in the child, on a stack of its own, sharing the parent's memory until its exec: only
// system calls, no allocation, no locks. Every signal is blocked on entry.
static int child_main(void* arg) {
  child_t* c = arg;
  // Handlers are the parent's code: none may run here. At exec every handled signal returns to
  // its default anyway; the ignored ones (Node's SIGPIPE) would stay ignored: default them all.
  struct ksigaction dfl = {SIG_DFL, 0, NULL, 0};
  for (int s = 1; s <= 64; s++)
    if (s != SIGKILL && s != SIGSTOP) syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof dfl.mask);
  if (setsid() < 0) goto fail;
  for (uint32_t i = 0; i < c->nfds; i++)
    if (dup2(c->theirs[i] >= 0 ? c->theirs[i] : c->devnull, (int)i) < 0) goto fail;
  if (chdir(c->cwd) != 0) goto fail;
  set_mask(0, NULL);
  execve(c->file, c->args, c->envp);
fail:
  c->err = errno ? errno : EINVAL;
  _exit(127);
}

// spawnDetached(file, args, env, cwd, stdio) -> { pid, fds }
// `stdio[i]` says what the child's fd i is: "ignore" (/dev/null), "read" (a pipe this process
// reads) or "write" (a pipe this process writes). `fds[i]` is this process's end (-1 for
// "ignore"), close-on-exec; the child has nothing else of ours but what lacks close-on-exec (as
// with Node's spawn). It leads a new session (setsid), in `cwd`, every signal at its default and
// none blocked. Throws an Error with the errno's `code` when the file cannot be run.
static napi_value spawn_detached(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char* file = NULL;
  char* cwd = NULL;
  char** args = NULL;
  char** envp = NULL;
  int kinds[MAX_FDS];
  uint32_t nfds = 0;
  bool ok = argc >= 5;
  if (ok) ok = (file = dup_string(env, argv[0])) != NULL;
  if (ok) ok = (args = get_strv(env, argv[1], file)) != NULL;
  if (ok) ok = (envp = get_strv(env, argv[2], NULL)) != NULL;
  if (ok) ok = (cwd = dup_string(env, argv[3])) != NULL;
  if (ok) {
    bool is_arr = false;
    ok = napi_is_array(env, argv[4], &is_arr) == napi_ok && is_arr;
    if (ok) napi_get_array_length(env, argv[4], &nfds);
    ok = ok && nfds <= MAX_FDS;
    for (uint32_t i = 0; ok && i < nfds; i++) {
      napi_value e;
      char k[8] = "";
      size_t l = 0;
      napi_get_element(env, argv[4], i, &e);
      if (napi_get_value_string_utf8(env, e, k, sizeof k, &l) != napi_ok) ok = false;
      else if (!strcmp(k, "ignore")) kinds[i] = 0;
      else if (!strcmp(k, "read")) kinds[i] = 1;
      else if (!strcmp(k, "write")) kinds[i] = 2;
      else ok = false;
    }
  }
  if (!ok) {
    free(file);
    free(cwd);
    free_strv(args);
    free_strv(envp);
    napi_throw_type_error(env, NULL, "spawnDetached(file, args, env, cwd, stdio): bad arguments");
    return NULL;
  }

  int mine[MAX_FDS], theirs[MAX_FDS];
  for (uint32_t i = 0; i < MAX_FDS; i++) mine[i] = theirs[i] = -1;
  int err = 0;
  int devnull = fd_above(open("/dev/null", O_RDWR | O_CLOEXEC), (int)nfds);
  if (devnull < 0) err = errno;
  for (uint32_t i = 0; i < nfds && !err; i++) {
    if (!kinds[i]) continue;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      err = errno;
      break;
    }
    int r = fd_above(p[0], (int)nfds), w = fd_above(p[1], (int)nfds);
    if (r < 0 || w < 0) {
      err = errno;
      if (r >= 0) close(r);
      if (w >= 0) close(w);
      break;
    }
    mine[i] = kinds[i] == 1 ? r : w;
    theirs[i] = kinds[i] == 1 ? w : r;
  }

  pid_t pid = -1;
  const size_t stack_size = 64 * 1024;
  char* stack = NULL;
  if (!err) {
    stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
      err = errno;
      stack = NULL;
    }
  }
  if (!err) {
    child_t c = {file, args, envp, cwd, nfds, theirs, devnull, 0};
    unsigned long old;
    set_mask(~0UL, &old);
    pid = clone(child_main, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
    int e = errno;
    set_mask(old, NULL);
    if (pid < 0) err = e;
    else if (c.err) {
      // It never ran: collect it now (it has exited: the vfork wait is over).
      err = c.err;
      int st;
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
    }
  }
  if (stack) munmap(stack, stack_size);
  for (uint32_t i = 0; i < nfds; i++)
    if (theirs[i] >= 0) close(theirs[i]);
  if (devnull >= 0) close(devnull);
  free(file);
  free(cwd);
  free_strv(args);
  free_strv(envp);
  if (err) {
    for (uint32_t i = 0; i < nfds; i++)
      if (mine[i] >= 0) close(mine[i]);
    napi_value code, msg, e;
    const char* name = strerrorname_np(err);
    napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &e);
    napi_throw(env, e);
    return NULL;
  }
  pthread_t th;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  // A small stack: the thread only waits.
  pthread_attr_setstacksize(&ta, 64 * 1024);
  // Without a thread the child stays a zombie until this process ends; it ran all the same.
  (void)pthread_create(&th, &ta, reap, (void*)(intptr_t)pid);
  pthread_attr_destroy(&ta);
  napi_value res, fds, n;
  napi_create_object(env, &res);
  set_int(env, res, "pid", pid);
  napi_create_array_with_length(env, nfds, &fds);
  for (uint32_t i = 0; i < nfds; i++) {
    napi_create_int32(env, mine[i], &n);
    napi_set_element(env, fds, i, n);
  }
  napi_set_named_property(env, res, "fds", fds);
  return res;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "peercred", NAPI_AUTO_LENGTH, peercred, NULL, &fn);
  napi_set_named_property(env, exports, "peercred", fn);
  napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_js, NULL, &fn);
  napi_set_named_property(env, exports, "mallocTrim", fn);
  napi_create_function(env, "keepOnExec", NAPI_AUTO_LENGTH, keep_on_exec, NULL, &fn);
  napi_set_named_property(env, exports, "keepOnExec", fn);
  napi_create_function(env, "spawnDetached", NAPI_AUTO_LENGTH, spawn_detached, NULL, &fn);
  napi_set_named_property(env, exports, "spawnDetached", fn);
  return exports;
}
