#ifndef RECUR_DEFAULT_MODEL_H
#define RECUR_DEFAULT_MODEL_H
#include <stddef.h>

/// The bytes of Models/default.safetensors, linked into the binary (see default_model.c), so that `recur` has its
/// default model wherever it runs: from .build, after `make install`, or through `swift run`.
const unsigned char *recur_default_model_bytes(void);
size_t recur_default_model_size(void);

#endif
