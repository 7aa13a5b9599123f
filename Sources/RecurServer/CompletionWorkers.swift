import Foundation
import RecurModel
import Synchronization

/// Runs completions on threads of their own, never on Swift's cooperative pool: that pool also runs the server
/// actor, which reads the next messages. Were completions computed there, a burst of requests would occupy every
/// cooperative thread and `$/cancelRequest` could not overtake the queued work (measured: of 10,000 requests in
/// flight, 1 was cancelled, the rest computed for five minutes). Here they queue, at most `width` run at once, and
/// a request cancelled while queued is never computed.
final class CompletionWorkers: Sendable {
    private let queue: OperationQueue
    private let predictors = Mutex<(generation: Int, idle: [PredictorBox])>((0, []))

    init(width: Int = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))) {
        queue = OperationQueue()
        queue.name = "recur.completions"
        queue.maxConcurrentOperationCount = width
    }

    /// Runs `work` with a predictor of `engine` (weights generation `generation`) on a worker thread, or returns
    /// nil without running it when the calling task is cancelled, or `skipIf` holds, before a worker is free.
    func run<T: Sendable>(
        engine: InferenceEngine, generation: Int, skipIf cancelledElsewhere: @escaping @Sendable () -> Bool = { false },
        _ work: @escaping @Sendable (Predictor) -> T
    ) async -> T? {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                queue.addOperation { [self] in
                    guard !cancelled.isSet && !cancelledElsewhere() else { return continuation.resume(returning: nil) }
                    let box = takePredictor(engine: engine, generation: generation)
                    let result = work(box.predictor)
                    returnPredictor(box, generation: generation)
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Forgets the predictors of replaced weights: later requests of `generation` get fresh ones.
    func reset(generation: Int) {
        predictors.withLock { $0 = (generation, []) }
    }

    private func takePredictor(engine: InferenceEngine, generation: Int) -> PredictorBox {
        let idle = predictors.withLock { state -> PredictorBox? in
            state.generation == generation ? state.idle.popLast() : nil
        }
        return idle ?? PredictorBox(predictor: Predictor(engine: engine))
    }

    /// Keeps the predictor for the next request, unless its weights were replaced meanwhile.
    private func returnPredictor(_ box: PredictorBox, generation: Int) {
        predictors.withLock { state in
            if state.generation == generation { state.idle.append(box) }
        }
    }
}
