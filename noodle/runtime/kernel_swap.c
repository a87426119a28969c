/* noodle's kernel swap: a native thread that puts a hot key's optimising-tier kernel in
 * place of its baseline kernel while the program keeps calling it, without the GIL.
 *
 * Why native: any Python thread of the program that wakes up to load a kernel must take
 * the GIL, and the program's thread, busy calling the kernel in a loop, then waits for
 * it to be handed back: 100-150 us per hand-over on these virtual machines, and loading
 * an object through llvmlite takes the GIL a dozen times. This thread never runs Python.
 * The compile worker links the optimised kernel into a shared library and writes a
 * request down a pipe; the thread loads the library (dlopen), gives its entry point the
 * baseline entry's NumPy table, and stores the new entry's address in the baseline
 * entry's PyMethodDef: CPython reads `ml_meth` at every call, so the next call runs the
 * optimised kernel. The runtime's own bookkeeping (noodle.stats(), the entry chain) is
 * brought up to date later, in Python, whenever the program next asks for it.
 *
 * A request is `uint64 cell, uint32 length, char path[length]`, written with one write
 * (at most PIPE_BUF bytes, so requests of several writers never interleave). The cell is
 * a `swap_cell` in this process (`new_cell`, never freed); its `state` says how far the
 * swap went. The program may cancel a pending swap (to load the kernel in Python
 * instead, or because it exits); the thread then skips it.
 */
#define _GNU_SOURCE
#include <Python.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SWAP_PENDING, SWAP_LOADING, SWAP_DONE, SWAP_FAILED, SWAP_CANCELLED };

typedef struct {
    _Atomic uint64_t state;
    PyMethodDef *method;         /* the baseline entry's: its ml_meth is replaced */
    void **runtime_table;        /* the baseline entry's NumPy table ... */
    uint64_t runtime_table_words;
    uint64_t runtime_table_index; /* ... copied to this slot of the new address table */
    uint64_t entry_index;        /* the slot of the new Python entry point */
    void *handle;                /* out: the loaded library */
    char symbol[256];            /* the name of the new kernel's address table */
    char error[512];             /* out: why the swap failed */
} swap_cell;

static int read_exactly(int fd, void *buffer, size_t size) {
    char *at = buffer;
    while (size) {
        ssize_t n = read(fd, at, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        at += n;
        size -= (size_t)n;
    }
    return 0;
}

static void fail(swap_cell *cell, const char *what, const char *why) {
    snprintf(cell->error, sizeof cell->error, "%s: %s", what, why ? why : "unknown error");
    atomic_store_explicit(&cell->state, SWAP_FAILED, memory_order_release);
}

static void swap(swap_cell *cell, const char *path) {
    uint64_t pending = SWAP_PENDING;
    if (!atomic_compare_exchange_strong(&cell->state, &pending, SWAP_LOADING)) {
        unlink(path); /* cancelled: the program loads the kernel itself */
        return;
    }
    /* RTLD_NOW: every symbol is bound here, none on the program's next call */
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    unlink(path); /* mapped now, or never: the file is not needed any more */
    if (!handle) {
        fail(cell, "dlopen", dlerror());
        return;
    }
    void **addresses = dlsym(handle, cell->symbol);
    if (!addresses) {
        fail(cell, "dlsym", dlerror());
        dlclose(handle);
        return;
    }
    memcpy(addresses[cell->runtime_table_index], cell->runtime_table,
           cell->runtime_table_words * sizeof(void *));
    cell->handle = handle;
    /* release: the table copied above is seen by whoever calls the new entry */
    atomic_store_explicit((_Atomic(PyCFunction) *)&cell->method->ml_meth,
                          (PyCFunction)addresses[cell->entry_index], memory_order_release);
    atomic_store_explicit(&cell->state, SWAP_DONE, memory_order_release);
}

static void *serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    for (;;) {
        uint64_t cell;
        uint32_t length;
        char path[PIPE_BUF];
        if (read_exactly(fd, &cell, sizeof cell) || read_exactly(fd, &length, sizeof length)
            || length >= sizeof path || read_exactly(fd, path, length))
            break; /* the pipe's end: this process is exiting, or was forked */
        path[length] = '\0';
        swap((swap_cell *)(uintptr_t)cell, path);
    }
    close(fd);
    return NULL;
}

static PyObject *start(PyObject *self, PyObject *arg) {
    long fd = PyLong_AsLong(arg);
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int error = pthread_create(&thread, &attributes, serve, (void *)(intptr_t)fd);
    pthread_attr_destroy(&attributes);
    if (error) {
        errno = error;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Py_RETURN_NONE;
}

static PyObject *cancel(PyObject *self, PyObject *arg) {
    swap_cell *cell = PyLong_AsVoidPtr(arg);
    if (!cell && PyErr_Occurred())
        return NULL;
    uint64_t pending = SWAP_PENDING;
    return PyBool_FromLong(
        atomic_compare_exchange_strong(&cell->state, &pending, SWAP_CANCELLED));
}

static PyObject *cell_size(PyObject *self, PyObject *unused) {
    return PyLong_FromSize_t(sizeof(swap_cell));
}

/* Never freed: a request for a cell may reach the thread after the program has given up
 * the swap (cancelled it), and the thread must still find a cell there to read. */
static PyObject *new_cell(PyObject *self, PyObject *unused) {
    swap_cell *cell = calloc(1, sizeof(swap_cell));
    if (!cell)
        return PyErr_NoMemory();
    return PyLong_FromVoidPtr(cell);
}

static PyMethodDef methods[] = {
    {"start", start, METH_O, "start(fd): serve the swap requests read from fd"},
    {"cancel", cancel, METH_O,
     "cancel(cell): True if the swap was still pending, and now will not happen"},
    {"cell_size", cell_size, METH_NOARGS, "the size of a swap cell in bytes"},
    {"new_cell", new_cell, METH_NOARGS, "the address of a new swap cell, zeroed"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel_swap", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernel_swap(void) { return PyModule_Create(&module); }
