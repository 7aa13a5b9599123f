import Foundation
import RecurModel

/// Runs all model work of requests (priming a document's state included) on threads of its own, never on the
/// message loop or Swift's cooperative pool, which also runs the server actor that reads the next messages.
///
/// Fairness is by document: one document has at most one job running, and documents with queued jobs are served
/// in turn. So a document whose every request costs a full window (a jump, a blob of a line) or that queues a
/// thousand requests occupies at most one worker, and the others keep answering everyone else. A job cancelled
/// while it waits is never computed.
final class CompletionScheduler: @unchecked Sendable {
    // @unchecked: every stored var below is read and written only while `condition` is locked.
    private struct Job {
        let engine: InferenceEngine
        let generation: Int
        let isCancelled: @Sendable () -> Bool
        /// Runs the work with a predictor, or with nil to say it was skipped; resumes the waiting task either way.
        let execute: @Sendable (Predictor?) -> Void
    }

    private let condition = NSCondition()
    private var queues: [String: [Job]] = [:]
    /// Documents with queued jobs, in the order they are served.
    private var turn: [String] = []
    private var running: Set<String> = []
    private var stopped = false
    /// Idle predictors (scratch buffers) of the current weights.
    private var predictorGeneration = 0
    private var idlePredictors: [Predictor] = []

    init(width: Int = max(2, min(4, ProcessInfo.processInfo.activeProcessorCount))) {
        for index in 0..<width {
            let thread = Thread { [self] in work() }
            thread.name = "recur-model-\(index)"
            thread.start()
        }
    }

    /// Runs `work` for `document` with a predictor of `engine` (weights generation `generation`) on a worker
    /// thread, or returns nil without running it when the calling task is cancelled, or `isCancelled` holds,
    /// before its turn comes.
    func run<T: Sendable>(
        document: String, engine: InferenceEngine, generation: Int,
        isCancelled: @escaping @Sendable () -> Bool = { false }, _ work: @escaping @Sendable (Predictor) -> T
    ) async -> T? {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                let job = Job(
                    engine: engine, generation: generation, isCancelled: { cancelled.isSet || isCancelled() },
                    execute: { predictor in continuation.resume(returning: predictor.map(work)) })
                condition.lock()
                if queues[document] == nil { turn.append(document) }
                queues[document, default: []].append(job)
                condition.signal()
                condition.unlock()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Forgets the predictors of replaced weights: later jobs of `generation` get fresh ones.
    func reset(generation: Int) {
        condition.lock()
        predictorGeneration = generation
        idlePredictors = []
        condition.unlock()
    }

    /// Ends the worker threads once they finish what they run; queued jobs are answered as skipped.
    func stop() {
        condition.lock()
        stopped = true
        let abandoned = queues.values.joined()
        queues = [:]
        turn = []
        condition.broadcast()
        condition.unlock()
        for job in abandoned { job.execute(nil) }
    }

    private func work() {
        while let (document, job) = next() {
            if job.isCancelled() {
                job.execute(nil)
            } else {
                let predictor = takePredictor(job)
                job.execute(predictor)
                returnPredictor(predictor, generation: job.generation)
            }
            condition.lock()
            running.remove(document)
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Waits for the first document in turn that has no job running, and takes its oldest job.
    private func next() -> (String, Job)? {
        condition.lock()
        defer { condition.unlock() }
        while !stopped {
            if let index = turn.firstIndex(where: { !running.contains($0) }) {
                let document = turn.remove(at: index)
                let job = queues[document]!.removeFirst()
                if queues[document]!.isEmpty { queues[document] = nil } else { turn.append(document) }
                running.insert(document)
                return (document, job)
            }
            condition.wait()
        }
        return nil
    }

    private func takePredictor(_ job: Job) -> Predictor {
        condition.lock()
        let idle = predictorGeneration == job.generation ? idlePredictors.popLast() : nil
        condition.unlock()
        return idle ?? Predictor(engine: job.engine)
    }

    /// Keeps the predictor for the next job, unless its weights were replaced meanwhile.
    private func returnPredictor(_ predictor: Predictor, generation: Int) {
        condition.lock()
        if predictorGeneration == generation { idlePredictors.append(predictor) }
        condition.unlock()
    }
}
