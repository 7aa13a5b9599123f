#include "default_model.h"

// The assembler's .incbin copies the model file into read-only data at build time. It finds the file through the
// include path, which Package.swift points at Models/.
#if defined(__APPLE__)
#define RECUR_SYMBOL(name) "_" #name
#define RECUR_SECTION ".section __TEXT,__const\n"
#else
#define RECUR_SYMBOL(name) #name
#define RECUR_SECTION ".section .rodata\n"
#endif

__asm__(RECUR_SECTION
        ".balign 16\n"
        RECUR_SYMBOL(recur_default_model_start) ":\n"
        ".incbin \"default.safetensors\"\n"
        RECUR_SYMBOL(recur_default_model_end) ":\n"
        ".byte 0\n"
#if !defined(__APPLE__)
        ".previous\n"
#else
        ".text\n"
#endif
);

extern const unsigned char recur_default_model_start[];
extern const unsigned char recur_default_model_end[];

const unsigned char *recur_default_model_bytes(void) { return recur_default_model_start; }
size_t recur_default_model_size(void) { return (size_t)(recur_default_model_end - recur_default_model_start); }
