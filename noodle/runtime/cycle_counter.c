/* The cycle counter that native entry points count in (LLVM's `llvm.readcyclecounter`:
 * the time-stamp counter on x86-64), read from Python before any kernel exists.
 *
 * Why: the profiler needs the counter's rate to turn `hot_seconds` into cycles. Read
 * when noodle is imported and again when the first kernel is armed, it gives the rate
 * over the first compile, which the caller waits for anyway; measured instead by a
 * Python thread that sleeps, the thread's wake-up took the GIL from a program busy
 * calling its first kernel (calls of 10 us took 0.3-4 ms). Where this file cannot
 * read that counter, `read()` gives None and the profiler measures with its thread.
 */
#include <Python.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

static PyObject *read_counter(PyObject *self, PyObject *unused) {
#if defined(__x86_64__)
    return PyLong_FromUnsignedLongLong(__rdtsc());
#else
    Py_RETURN_NONE;
#endif
}

static PyMethodDef methods[] = {
    {"read", read_counter, METH_NOARGS, "the cycle counter's value, or None where it is not read"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cycle_counter", NULL, -1,
                                    methods};

PyMODINIT_FUNC PyInit__cycle_counter(void) { return PyModule_Create(&module); }
