#include "thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

enum { MAX_WORKERS = 7, SPIN_ROUNDS = 20000 };

// The claim word: generation << 24 | parts << 16 | a done bit per part << 8 | a claimed bit per part. Publishing a
// job stores it once, with part 0 already claimed by the caller, so a thread that claims a part by compare-and-swap
// always holds a part of the job it read, never a stale or future one, and the caller waits on the same word for
// the done bits: a job costs about three transfers of one cache line between the cores. Thread t (the caller is 0)
// claims part t first, so each core keeps working on the same rows, whose weights stay in its own L2; then it takes
// whatever parts are still unclaimed (a worker that is parked or descheduled).
static _Atomic uint64_t claim;
static void (*_Atomic job_body)(void *, size_t);
static void *_Atomic job_context;
static _Atomic unsigned long long worker_parts;
static _Atomic int parked;
static atomic_int configured = 1;
static int started;
static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

#define GENERATION(c) ((c) >> 24)
#define PARTS(c) (((c) >> 16) & 0xff)
#define DONE(c) (((c) >> 8) & 0xff)

// Claims part `part` of job `generation`; false when it is taken or the job is over.
static int claim_part(uint64_t generation, size_t part) {
    uint64_t c = atomic_load(&claim);
    for (;;) {
        if (GENERATION(c) != generation || part >= PARTS(c) || (c & (1ull << part))) return 0;
        if (atomic_compare_exchange_weak(&claim, &c, c | (1ull << part))) return 1;
    }
}

// Runs part `self` if it can claim it, then any unclaimed part; returns the mask of parts it ran.
static unsigned run_parts(uint64_t generation, size_t self, size_t parts) {
    unsigned ran = 0;
    for (size_t i = 0; i < parts; i++) {
        size_t part = (self + i) % parts;
        if (!claim_part(generation, part)) continue;
        atomic_load(&job_body)(atomic_load(&job_context), part);
        ran |= 1u << part;
        if (self) {
            atomic_fetch_add(&worker_parts, 1);
            atomic_fetch_or(&claim, 1ull << (8 + part));
        }
    }
    return ran;
}

static void *worker_main(void *id) {
    size_t self = (size_t)id;
    uint64_t seen = GENERATION(atomic_load(&claim));
    for (;;) {
        int spins = 0;
        while (GENERATION(atomic_load(&claim)) == seen) {
            if (++spins < SPIN_ROUNDS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&park_lock);
            atomic_fetch_add(&parked, 1);
            while (GENERATION(atomic_load(&claim)) == seen) pthread_cond_wait(&wake, &park_lock);
            atomic_fetch_sub(&parked, 1);
            pthread_mutex_unlock(&park_lock);
        }
        uint64_t c = atomic_load(&claim);
        seen = GENERATION(c);
        // Only the parts of its own generation: a part number is a thread number.
        if (self < PARTS(c)) run_parts(seen, self, PARTS(c));
    }
    return NULL;
}

void recur_pool_set_threads(int threads) {
    atomic_store(&configured, threads < 1 ? 1 : threads > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : threads);
}

int recur_pool_threads(void) { return atomic_load(&configured); }

unsigned long long recur_pool_worker_parts(void) { return atomic_load(&worker_parts); }

void recur_pool_run(void (*body)(void *, size_t), void *context, size_t parts) {
    if (parts > 8) parts = 8;
    int threads = atomic_load(&configured);
    if (threads <= 1 || parts <= 1 || pthread_mutex_trylock(&run_lock) != 0) {
        for (size_t p = 0; p < parts; p++) body(context, p);
        return;
    }
    // Workers are started under the run lock, once each, up to the configured count.
    while (started < threads - 1) {
        // The default stack: a small one fails (EINVAL) where static TLS is large, as in a Swift test bundle.
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(size_t)(started + 1)) != 0) break;
        pthread_detach(thread);
        started++;
    }
    atomic_store(&job_body, body);
    atomic_store(&job_context, context);
    uint64_t generation = GENERATION(atomic_load(&claim)) + 1;
    atomic_store(&claim, generation << 24 | (uint64_t)parts << 16 | 1u);
    if (atomic_load(&parked) > 0) {
        pthread_mutex_lock(&park_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&park_lock);
    }
    body(context, 0);
    unsigned ran = 1u | run_parts(generation, 0, parts);
    unsigned all = (1u << parts) - 1;
    while ((DONE(atomic_load(&claim)) | ran) != all) cpu_relax();
    pthread_mutex_unlock(&run_lock);
}

void recur_progress_store(long *counter, long value) { __atomic_store_n(counter, value, __ATOMIC_RELEASE); }

void recur_progress_wait(const long *counter, long value) {
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < value) cpu_relax();
}

int recur_progress_claim(long *counter, long from, long to) {
    return __atomic_compare_exchange_n(counter, &from, to, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
