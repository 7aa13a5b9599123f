import CKernels

/// The threads that split one small product by rows (see CKernels/thread_pool.h): the caller plus workers that
/// spin briefly between products and then park.
package enum ThreadPool {
    /// Products with fewer multiply-adds run on the caller alone: splitting costs about a microsecond.
    package static let minimumParallelWork = 96 * 1024

    /// Total threads including the caller; 1 runs everything on the caller.
    package static var threads: Int {
        get { Int(recur_pool_threads()) }
        set { recur_pool_set_threads(Int32(newValue)) }
    }

    /// Parts of products that workers (not callers) have run since the process started.
    package static var workerParts: UInt64 { UInt64(recur_pool_worker_parts()) }

    /// Runs body(part) for every part in 0..<parts (at most 8) on the caller and the workers; returns when all are
    /// done. A part may wait for a lower-numbered one's `Progress`, never for a higher one.
    package static func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body)
            withUnsafeMutablePointer(to: &job) { pointer in
                recur_pool_run(
                    { context, part in context!.assumingMemoryBound(to: Job.self).pointee.body(Int(part)) }, pointer,
                    parts)
            }
        }
    }

    private struct Job {
        let body: (Int) -> Void
    }

    /// Counters through which the parts of a pipeline tell each other how far they got.
    package final class Progress {
        private let counters: UnsafeMutablePointer<Int>
        package let count: Int

        package init(count: Int) {
            self.count = count
            counters = .allocate(capacity: count)
            counters.initialize(repeating: 0, count: count)
        }

        deinit { counters.deallocate() }

        package func reset() { counters.update(repeating: 0, count: count) }

        /// Part `part` has done `value` steps (release).
        package func store(_ part: Int, _ value: Int) { recur_progress_store(counters + part, value) }

        /// Waits until part `part` has done at least `value` steps (acquire).
        package func wait(_ part: Int, _ value: Int) { recur_progress_wait(counters + part, value) }

        /// Task `task` (0: free, 1: taken, 2: done) is free: take it and run `body`, else wait until it is done.
        /// Either way it is done on return, by this thread or the one that took it.
        package func runOnce(_ task: Int, _ body: () -> Void) {
            if recur_progress_claim(counters + task, 0, 1) != 0 {
                body()
                store(task, 2)
            } else {
                wait(task, 2)
            }
        }

        /// Runs `body` only if task `task` is still free (taking it), and marks it done.
        package func runIfFree(_ task: Int, _ body: () -> Void) {
            guard recur_progress_claim(counters + task, 0, 1) != 0 else { return }
            body()
            store(task, 2)
        }
    }
}
