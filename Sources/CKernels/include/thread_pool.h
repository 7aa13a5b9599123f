#ifndef RECUR_THREAD_POOL_H
#define RECUR_THREAD_POOL_H
#include <stddef.h>

/// A pool for splitting one small product between the cores: the caller and up to 7 workers claim parts of a job.
///
/// Workers spin briefly after each job (a step's next product follows within microseconds), then park on a
/// condition variable, so an idle daemon uses no CPU. The caller claims parts too and never waits for a worker to
/// wake: when the other core is busy or a worker is parked, the caller simply does more of the parts itself. One
/// job runs at a time; a second caller meanwhile runs its parts alone.

/// Total threads including the caller (1: everything runs on the caller). Workers start on first use.
void recur_pool_set_threads(int threads);
int recur_pool_threads(void);

/// Runs body(context, part) for every part in 0..<parts (at most 8), on the caller and the workers, and returns
/// when all are done. Parts must be independent.
void recur_pool_run(void (*body)(void *context, size_t part), void *context, size_t parts);

/// Pipelines of parts: part k publishes how far it got with recur_progress_store (release), and part k + 1 waits
/// for it with recur_progress_wait (acquire; spins with pause). Waiting only on lower-numbered parts cannot
/// deadlock: the caller holds part 0 and runs every part a worker has not claimed, in order.
void recur_progress_store(long *counter, long value);
void recur_progress_wait(const long *counter, long value);

/// Sets *counter from `from` to `to` if it holds `from` (compare-and-swap); whether it did. Two threads that both
/// could do a task claim it this way, and the loser waits for the winner's recur_progress_store: safe when the
/// winner is running, which claiming proves.
int recur_progress_claim(long *counter, long from, long to);

/// How many parts workers (not the caller) have run since the process started: for benchmarks and tests.
unsigned long long recur_pool_worker_parts(void);

#endif
