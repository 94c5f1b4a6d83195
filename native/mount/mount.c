// mount(2) and umount2(2) for Node, which has no binding for either: berth mounted each
// container's overlay root by running mount(8), and unmounted it with umount(8), a process
// forked from the service (a copy of its page tables) on every start and every exit.
// Both calls run on a libuv pool thread and settle a promise.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <node_api.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int umount;
  char* source;
  char* target;
  char* fstype;
  char* data;
  char* cwd;
  unsigned long flags;
  int err;
} op_t;

static char* get_string(napi_env env, napi_value v, int nullable, int* ok) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (nullable && (t == napi_null || t == napi_undefined)) return NULL;
  if (t != napi_string) {
    *ok = 0;
    return NULL;
  }
  size_t len = 0;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char* s = malloc(len + 1);
  if (!s) {
    *ok = 0;
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static void free_op(op_t* op) {
  free(op->source);
  free(op->target);
  free(op->fstype);
  free(op->data);
  free(op->cwd);
  free(op);
}

// The working directory is the process's, shared by its threads: a thread that resolves
// relative paths from elsewhere unshares it first (CLONE_FS), and only that thread moves.
static void* mount_in_dir(void* arg) {
  op_t* op = arg;
  if (unshare(CLONE_FS) != 0 || chdir(op->cwd) != 0) {
    op->err = errno;
    return NULL;
  }
  if (mount(op->source, op->target, op->fstype, op->flags, op->data) != 0) op->err = errno;
  return NULL;
}

static void execute(napi_env env, void* data) {
  (void)env;
  op_t* op = data;
  op->err = 0;
  if (op->umount) {
    if (umount2(op->target, (int)op->flags) != 0) op->err = errno;
    return;
  }
  if (!op->cwd) {
    if (mount(op->source, op->target, op->fstype, op->flags, op->data) != 0) op->err = errno;
    return;
  }
  pthread_t th;
  int e = pthread_create(&th, NULL, mount_in_dir, op);
  if (e != 0) {
    op->err = e;
    return;
  }
  pthread_join(th, NULL);
}

static void complete(napi_env env, napi_status status, void* data) {
  op_t* op = data;
  if (status != napi_ok && op->err == 0) op->err = ECANCELED;
  if (op->err == 0) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, op->deferred, undef);
  } else {
    napi_value code, msg, err;
    const char* name = strerrorname_np(op->err);
    napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(op->err), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, &err);
    napi_value errno_v;
    napi_create_int32(env, op->err, &errno_v);
    napi_set_named_property(env, err, "errno", errno_v);
    napi_reject_deferred(env, op->deferred, err);
  }
  napi_delete_async_work(env, op->work);
  free_op(op);
}

static napi_value queue(napi_env env, op_t* op) {
  napi_value promise, name;
  napi_create_promise(env, &op->deferred, &promise);
  napi_create_string_utf8(env, op->umount ? "berth:umount" : "berth:mount", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, op, &op->work);
  napi_queue_async_work(env, op->work);
  return promise;
}

// mount(source, target, fstype, flags, data, cwd?) -> Promise<void>
static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  op_t* op = calloc(1, sizeof *op);
  if (!op) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  int ok = argc >= 5;
  if (ok) {
    op->source = get_string(env, argv[0], 0, &ok);
    op->target = get_string(env, argv[1], 0, &ok);
    op->fstype = get_string(env, argv[2], 0, &ok);
    op->data = get_string(env, argv[4], 1, &ok);
    if (argc >= 6) op->cwd = get_string(env, argv[5], 1, &ok);
    double flags = 0;
    if (napi_get_value_double(env, argv[3], &flags) != napi_ok || flags < 0) ok = 0;
    op->flags = (unsigned long)flags;
  }
  if (!ok) {
    free_op(op);
    napi_throw_type_error(env, NULL, "mount(source, target, fstype, flags, data, cwd?): bad arguments");
    return NULL;
  }
  return queue(env, op);
}

// umount(target, flags) -> Promise<void>
static napi_value js_umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  op_t* op = calloc(1, sizeof *op);
  if (!op) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  int ok = argc >= 2;
  op->umount = 1;
  if (ok) {
    op->target = get_string(env, argv[0], 0, &ok);
    int32_t flags = 0;
    if (napi_get_value_int32(env, argv[1], &flags) != napi_ok || flags < 0) ok = 0;
    op->flags = (unsigned long)flags;
  }
  if (!ok) {
    free_op(op);
    napi_throw_type_error(env, NULL, "umount(target, flags): bad arguments");
    return NULL;
  }
  return queue(env, op);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "mount", NAPI_AUTO_LENGTH, js_mount, NULL, &fn);
  napi_set_named_property(env, exports, "mount", fn);
  napi_create_function(env, "umount", NAPI_AUTO_LENGTH, js_umount, NULL, &fn);
  napi_set_named_property(env, exports, "umount", fn);
  return exports;
}
