/* noodle's async runtime: the C functions that MLIR's `convert-async-to-llvm` lowers
 * `parallel=True` loops to (tokens, values, groups, and tasks run on a thread pool),
 * with the same API and meaning as MLIR's reference runtime (libmlir_async_runtime.so).
 *
 * Why noodle has its own: the reference runtime's threads sleep on a condition variable
 * whenever its queue is empty, and its thread pool has one thread per core *beside* the
 * caller's. A parallel kernel then pays a thread wake-up at its start and another for the
 * caller at its end (40-100 us each on a virtual machine, several per cent of a 5 ms
 * kernel), and runs one thread more than there are cores. Here, as in OpenMP runtimes:
 *   - an idle worker spins (with `pause`) for a while before it sleeps, so a program that
 *     calls parallel kernels one after another finds its workers awake;
 *   - a caller waiting for its tasks runs queued tasks itself, then spins, then sleeps;
 *   - the pool has one worker fewer than the threads asked for: the caller is the last.
 * NOODLE_NUM_THREADS sets the number of threads (default: the CPUs this process may run
 * on), as NUMBA_NUM_THREADS and OMP_NUM_THREADS do; NOODLE_SPIN_US how long an idle
 * thread spins before it sleeps (2000 by default; 0 sleeps at once).
 *
 * Lifetimes follow the reference runtime: objects are reference counted, and tokens and
 * values start with two references, one of them the producer's, which it drops after it
 * makes the object ready. A thread that sees an object ready without its lock may drop
 * the last reference and free it, so whoever makes an object ready holds a reference
 * until it no longer touches the object.
 */
#define _GNU_SOURCE
#include <Python.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

/* How long an idle thread stays awake, spinning, before it sleeps: long enough to
 * bridge the Python code between two kernel calls, short enough that a program that
 * stopped calling kernels gets its cores back almost at once. NOODLE_SPIN_US sets it
 * (0: sleep at once, as OMP_WAIT_POLICY=passive does), for machines shared with other
 * programs, to which a spinning thread's core is lost while it spins. */
#define DEFAULT_SPIN_US 2000
static int64_t spin_ns = DEFAULT_SPIN_US * 1000L;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *checked_malloc(size_t size) {
  void *p = malloc(size);
  if (p == NULL) {
    fputs("noodle async runtime: out of memory\n", stderr);
    abort();
  }
  return p;
}

/* -- reference-counted objects: tokens, values, groups ------------------------------ */

enum state { UNAVAILABLE = 0, AVAILABLE = 1, ERROR = 2 };

/* Something to do when an object becomes ready: resume a coroutine, or count a token of
 * a group as done. */
struct waiter {
  void (*run)(struct waiter *self, bool error);
  struct waiter *next;
  void *handle;             /* a coroutine and its resume function, ... */
  void (*resume)(void *);
  struct group *group;      /* ... or the group this token belongs to */
};

struct object {
  atomic_llong refs;
  pthread_mutex_t mu;
  pthread_cond_t cv;        /* for threads that wait by sleeping */
  int sleepers;             /* how many sleep on cv; guarded by mu */
  struct waiter *waiters;   /* run when the object becomes ready; guarded by mu */
};

struct token {
  struct object base;
  atomic_int state;
};

struct value {
  struct object base;
  atomic_int state;
  _Alignas(max_align_t) unsigned char storage[];
};

struct group {
  struct object base;
  atomic_llong pending;     /* tokens of the group not yet ready */
  atomic_llong errors;
  atomic_llong rank;
};

/* Every lock is held for a few instructions, by threads that run at once: a waiter
 * spins for it rather than sleep in the kernel (a sleep and wake-up cost tens of us on
 * a virtual machine: plain locks made mandelbrot's parallel kernel ~1% slower). */
static pthread_mutexattr_t adaptive;
static pthread_condattr_t monotonic; /* for wait_until's timed sleeps */

__attribute__((constructor)) static void init_attributes(void) {
  pthread_mutexattr_init(&adaptive);
  pthread_mutexattr_settype(&adaptive, PTHREAD_MUTEX_ADAPTIVE_NP);
  pthread_condattr_init(&monotonic);
  pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
}

static void object_init(struct object *o, long long refs) {
  atomic_init(&o->refs, refs);
  pthread_mutex_init(&o->mu, &adaptive);
  pthread_cond_init(&o->cv, &monotonic);
  o->sleepers = 0;
  o->waiters = NULL;
}

EXPORT void mlirAsyncRuntimeAddRef(void *object, int64_t count) {
  atomic_fetch_add(&((struct object *)object)->refs, count);
}

EXPORT void mlirAsyncRuntimeDropRef(void *object, int64_t count) {
  struct object *o = object;
  if (atomic_fetch_sub(&o->refs, count) == count) {
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
    free(o);
  }
}

EXPORT struct token *mlirAsyncRuntimeCreateToken(void) {
  struct token *t = checked_malloc(sizeof *t);
  object_init(&t->base, 2);
  atomic_init(&t->state, UNAVAILABLE);
  return t;
}

EXPORT struct value *mlirAsyncRuntimeCreateValue(int64_t size) {
  struct value *v = checked_malloc(sizeof *v + (size_t)size);
  object_init(&v->base, 2);
  atomic_init(&v->state, UNAVAILABLE);
  return v;
}

EXPORT struct group *mlirAsyncRuntimeCreateGroup(int64_t size) {
  struct group *g = checked_malloc(sizeof *g);
  object_init(&g->base, 1);
  atomic_init(&g->pending, size);
  atomic_init(&g->errors, 0);
  atomic_init(&g->rank, 0);
  return g;
}

/* Runs the waiters taken off a ready object, after its lock is released: a resumed
 * coroutine may drop the object's last reference. */
static void run_waiters(struct waiter *w, bool error) {
  while (w != NULL) {
    struct waiter *next = w->next;
    w->run(w, error);
    w = next;
  }
}

/* Takes the waiters off `o`, which the caller just made ready under o->mu, and wakes
 * the threads asleep on it; returns the waiters, to run once the lock is released. */
static struct waiter *take_waiters_locked(struct object *o) {
  struct waiter *w = o->waiters;
  o->waiters = NULL;
  if (o->sleepers > 0)
    pthread_cond_broadcast(&o->cv);
  return w;
}

static void group_token_ready(struct group *g, bool error) {
  if (error)
    atomic_fetch_add(&g->errors, 1);
  if (atomic_fetch_sub(&g->pending, 1) != 1)
    return;
  pthread_mutex_lock(&g->base.mu);
  struct waiter *w = take_waiters_locked(&g->base);
  pthread_mutex_unlock(&g->base.mu);
  run_waiters(w, false);
}

static void run_group_waiter(struct waiter *self, bool error) {
  struct group *g = self->group;
  free(self);
  group_token_ready(g, error);
  mlirAsyncRuntimeDropRef(g, 1); /* taken when the token joined the group */
}

static void run_coroutine_waiter(struct waiter *self, bool error) {
  (void)error;
  void *handle = self->handle;
  void (*resume)(void *) = self->resume;
  free(self);
  resume(handle);
}

EXPORT int64_t mlirAsyncRuntimeAddTokenToGroup(struct token *t, struct group *g) {
  int64_t rank = atomic_fetch_add(&g->rank, 1);
  pthread_mutex_lock(&t->base.mu);
  int state = atomic_load(&t->state);
  if (state == UNAVAILABLE) {
    struct waiter *w = checked_malloc(sizeof *w);
    *w = (struct waiter){.run = run_group_waiter, .next = t->base.waiters, .group = g};
    t->base.waiters = w;
    mlirAsyncRuntimeAddRef(g, 1);
  }
  pthread_mutex_unlock(&t->base.mu);
  if (state != UNAVAILABLE)
    group_token_ready(g, state == ERROR);
  return rank;
}

static void set_state(struct object *o, atomic_int *state_word, int state) {
  pthread_mutex_lock(&o->mu);
  atomic_store(state_word, state);
  struct waiter *w = take_waiters_locked(o);
  pthread_mutex_unlock(&o->mu);
  run_waiters(w, state == ERROR);
  mlirAsyncRuntimeDropRef(o, 1); /* the producer's reference */
}

EXPORT void mlirAsyncRuntimeEmplaceToken(struct token *t) {
  set_state(&t->base, &t->state, AVAILABLE);
}

EXPORT void mlirAsyncRuntimeEmplaceValue(struct value *v) {
  set_state(&v->base, &v->state, AVAILABLE);
}

EXPORT void mlirAsyncRuntimeSetTokenError(struct token *t) {
  set_state(&t->base, &t->state, ERROR);
}

EXPORT void mlirAsyncRuntimeSetValueError(struct value *v) {
  set_state(&v->base, &v->state, ERROR);
}

EXPORT bool mlirAsyncRuntimeIsTokenError(struct token *t) {
  return atomic_load(&t->state) == ERROR;
}

EXPORT bool mlirAsyncRuntimeIsValueError(struct value *v) {
  return atomic_load(&v->state) == ERROR;
}

EXPORT bool mlirAsyncRuntimeIsGroupError(struct group *g) {
  return atomic_load(&g->errors) > 0;
}

EXPORT void *mlirAsyncRuntimeGetValueStorage(struct value *v) {
  return v->storage;
}

/* -- the thread pool ---------------------------------------------------------------- */

struct task {
  void *handle;
  void (*resume)(void *);
};

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;        /* workers with nothing to do sleep on it */
  struct task *tasks;       /* a ring buffer of queued tasks; guarded by mu */
  size_t capacity, head, count;
  atomic_size_t queued;     /* = count, read without the lock by spinning threads */
  int sleeping;             /* workers asleep on cv; guarded by mu */
  int threads;              /* threads that run tasks, the caller's included */
  bool started;             /* the workers exist; guarded by mu */
} pool = {.mu = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP, .cv = PTHREAD_COND_INITIALIZER};

/* The value of environment variable `name` if it is a whole number from `low` to
 * `high`; else `fallback`, and a bad value is said on stderr. */
static long env_number(const char *name, long low, long high, long fallback,
                       const char *meaning) {
  const char *text = getenv(name);
  if (text == NULL || *text == '\0')
    return fallback;
  char *end;
  long n = strtol(text, &end, 10);
  if (*end == '\0' && n >= low && n <= high)
    return n;
  fprintf(stderr, "noodle: %s=%s is not %s from %ld to %ld; using %ld\n", name, text,
          meaning, low, high, fallback);
  return fallback;
}

static int cpus_to_run_on(void) {
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0)
    return CPU_COUNT(&cpus);
  return 1;
}

static bool pop_task(struct task *out) {
  if (atomic_load_explicit(&pool.queued, memory_order_relaxed) == 0)
    return false;
  pthread_mutex_lock(&pool.mu);
  bool found = pool.count > 0;
  if (found) {
    *out = pool.tasks[pool.head];
    pool.head = (pool.head + 1) % pool.capacity;
    pool.count--;
    atomic_store_explicit(&pool.queued, pool.count, memory_order_relaxed);
  }
  pthread_mutex_unlock(&pool.mu);
  return found;
}

static bool run_one_task(void) {
  struct task t;
  if (!pop_task(&t))
    return false;
  t.resume(t.handle);
  return true;
}

static void *worker_main(void *unused) {
  (void)unused;
  for (;;) {
    if (run_one_task())
      continue;
    int64_t until = now_ns() + spin_ns;
    bool found = false;
    while (!found && now_ns() < until) {
      for (int i = 0; i < 64 && !found; i++) {
        cpu_relax();
        found = atomic_load_explicit(&pool.queued, memory_order_relaxed) > 0;
      }
    }
    if (found)
      continue;
    pthread_mutex_lock(&pool.mu);
    pool.sleeping++;
    while (pool.count == 0)
      pthread_cond_wait(&pool.cv, &pool.mu);
    pool.sleeping--;
    pthread_mutex_unlock(&pool.mu);
  }
  return NULL;
}

/* Starts the workers; called with pool.mu held. A worker that cannot be made is not
 * fatal: the caller runs what no worker takes while it waits. */
static void start_workers_locked(void) {
  pool.started = true;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 1; i < pool.threads; i++) {
    pthread_t thread;
    if (pthread_create(&thread, &attr, worker_main, NULL) != 0)
      break;
  }
  pthread_attr_destroy(&attr);
}

static void push_task(void *handle, void (*resume)(void *)) {
  pthread_mutex_lock(&pool.mu);
  if (!pool.started)
    start_workers_locked();
  if (pool.count == pool.capacity) {
    size_t capacity = pool.capacity ? 2 * pool.capacity : 64;
    struct task *tasks = checked_malloc(capacity * sizeof *tasks);
    for (size_t i = 0; i < pool.count; i++)
      tasks[i] = pool.tasks[(pool.head + i) % pool.capacity];
    free(pool.tasks);
    pool.tasks = tasks;
    pool.capacity = capacity;
    pool.head = 0;
  }
  pool.tasks[(pool.head + pool.count) % pool.capacity] = (struct task){handle, resume};
  pool.count++;
  atomic_store_explicit(&pool.queued, pool.count, memory_order_relaxed);
  if (pool.sleeping > 0)
    pthread_cond_signal(&pool.cv);
  pthread_mutex_unlock(&pool.mu);
}

/* After fork() only the forking thread exists in the child: forget the workers (they
 * are started again on the child's first task) and the parent's queue. */
static void forget_pool_in_child(void) {
  pthread_mutex_init(&pool.mu, &adaptive);
  pthread_cond_init(&pool.cv, NULL);
  pool.tasks = NULL;
  pool.capacity = pool.head = pool.count = 0;
  atomic_store(&pool.queued, 0);
  pool.sleeping = 0;
  pool.started = false;
}

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void init_pool(void) {
  int cpus = cpus_to_run_on();
  pool.threads = (int)env_number("NOODLE_NUM_THREADS", 1, 4096, cpus, "a number of threads");
  spin_ns = env_number("NOODLE_SPIN_US", 0, 10000000, DEFAULT_SPIN_US,
                       "a number of microseconds") * 1000L;
  pthread_atfork(NULL, NULL, forget_pool_in_child);
}

EXPORT void mlirAsyncRuntimeExecute(void *handle, void (*resume)(void *)) {
  pthread_once(&pool_once, init_pool);
  if (pool.threads == 1)
    resume(handle); /* no thread to hand it to: `parallel=True` runs serially */
  else
    push_task(handle, resume);
}

EXPORT int64_t mlirAsyncRuntimGetNumWorkerThreads(void) {
  pthread_once(&pool_once, init_pool);
  return pool.threads;
}

/* -- waiting -------------------------------------------------------------------------- */

static bool token_ready(struct object *o) {
  return atomic_load(&((struct token *)o)->state) != UNAVAILABLE;
}

static bool value_ready(struct object *o) {
  return atomic_load(&((struct value *)o)->state) != UNAVAILABLE;
}

static bool group_ready(struct object *o) {
  return atomic_load(&((struct group *)o)->pending) == 0;
}

/* How often a thread asleep in wait_until looks at the queue: push_task wakes only
 * idle workers, so a task queued after every thread that could run it fell asleep in
 * wait_until (workers waiting for nested parallel loops, callers) would stay queued. */
#define POLL_NS 1000000L

/* Blocks until `ready(o)`: runs queued tasks meanwhile (the tasks waited for among
 * them), then spins, then sleeps on the object, waking now and then to run what was
 * queued since. */
static void wait_until(struct object *o, bool (*ready)(struct object *)) {
  pthread_once(&pool_once, init_pool); /* spin_ns, for a thread that queued nothing */
  int64_t until = 0;
  while (!ready(o)) {
    if (run_one_task()) {
      until = 0;
      continue;
    }
    if (until == 0)
      until = now_ns() + spin_ns;
    else if (now_ns() >= until)
      break;
    for (int i = 0; i < 64; i++)
      cpu_relax();
  }
  pthread_mutex_lock(&o->mu);
  o->sleepers++;
  while (!ready(o)) {
    if (atomic_load_explicit(&pool.queued, memory_order_relaxed) > 0) {
      pthread_mutex_unlock(&o->mu);
      run_one_task();
      pthread_mutex_lock(&o->mu);
      continue;
    }
    int64_t wake = now_ns() + POLL_NS;
    struct timespec t = {.tv_sec = wake / 1000000000L, .tv_nsec = wake % 1000000000L};
    pthread_cond_timedwait(&o->cv, &o->mu, &t);
  }
  o->sleepers--;
  pthread_mutex_unlock(&o->mu);
}

EXPORT void mlirAsyncRuntimeAwaitToken(struct token *t) {
  wait_until(&t->base, token_ready);
}

EXPORT void mlirAsyncRuntimeAwaitValue(struct value *v) {
  wait_until(&v->base, value_ready);
}

EXPORT void mlirAsyncRuntimeAwaitAllInGroup(struct group *g) {
  wait_until(&g->base, group_ready);
}

/* Resumes the coroutine at once if `o` is ready, else when it becomes ready. */
static void when_ready(struct object *o, bool (*ready)(struct object *), void *handle,
                       void (*resume)(void *)) {
  pthread_mutex_lock(&o->mu);
  bool now = ready(o);
  if (!now) {
    struct waiter *w = checked_malloc(sizeof *w);
    *w = (struct waiter){.run = run_coroutine_waiter, .next = o->waiters,
                         .handle = handle, .resume = resume};
    o->waiters = w;
  }
  pthread_mutex_unlock(&o->mu);
  if (now)
    resume(handle);
}

EXPORT void mlirAsyncRuntimeAwaitTokenAndExecute(struct token *t, void *handle,
                                                 void (*resume)(void *)) {
  when_ready(&t->base, token_ready, handle, resume);
}

EXPORT void mlirAsyncRuntimeAwaitValueAndExecute(struct value *v, void *handle,
                                                 void (*resume)(void *)) {
  when_ready(&v->base, value_ready, handle, resume);
}

EXPORT void mlirAsyncRuntimeAwaitAllInGroupAndExecute(struct group *g, void *handle,
                                                      void (*resume)(void *)) {
  when_ready(&g->base, group_ready, handle, resume);
}

EXPORT void mlirAsyncRuntimePrintCurrentThreadId(void) {
  printf("Current thread id: %lu\n", (unsigned long)pthread_self());
  fflush(stdout);
}

/* Built as an extension module so that pip builds it with the package; Python never
 * imports it (noodle loads it with ctypes, as it loads MLIR's runtime libraries). */
static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_async_runtime",
    .m_doc = "noodle's async runtime (loaded with ctypes)",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__async_runtime(void) { return PyModule_Create(&module); }
