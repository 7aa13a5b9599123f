#ifndef RECUR_FUZZER_DRIVER_H
#define RECUR_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs that have their own main (compiler-rt, FuzzerDriver.cpp). Declared only: it is
/// defined by the libFuzzer runtime that `-sanitize=fuzzer` links, and referenced only in a fuzzing build.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
