import Foundation
import RecurModel
import RecurServerTestSupport
import Synchronization
import Testing

@testable import RecurServer

/// What the jobs did, in order, seen from any thread.
private final class JobLog: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

@Suite(.timeLimit(.minutes(10))) struct CompletionSchedulerTests {
    /// While one document's job runs (here: holds its worker until released), another document's job runs on the
    /// other worker, and the busy document's next job waits for its first: one worker per document at most.
    @Test func aBusyDocumentHoldsOneWorkerAndOthersKeepTheirs() async throws {
        let engine = InferenceEngine(model: TinyModels.lstm())
        let scheduler = CompletionScheduler(width: 2)
        defer { scheduler.stop() }
        let release = DispatchSemaphore(value: 0)
        let log = JobLog()
        let (started, didStart) = AsyncStream.makeStream(of: Void.self)
        let busy = Task {
            await scheduler.run(document: "B", engine: engine, generation: 0) { _ in
                log.append("B1")
                didStart.yield()
                release.wait()
                return "B1"
            }
        }
        for await _ in started { break }
        let busyAgain = Task {
            await scheduler.run(document: "B", engine: engine, generation: 0) { _ in
                log.append("B2")
                return "B2"
            }
        }
        // Whatever B's jobs do, A is answered.
        let other = await scheduler.run(document: "A", engine: engine, generation: 0) { _ in "A" }
        #expect(other == "A")
        #expect(!log.all.contains("B2"), "B's second job waits for its first")
        release.signal()
        #expect(await busy.value == "B1")
        #expect(await busyAgain.value == "B2")
        #expect(log.all == ["B1", "B2"])
    }

    /// A job cancelled while it waits for its turn is never run.
    @Test func aJobCancelledWhileQueuedNeverRuns() async throws {
        let engine = InferenceEngine(model: TinyModels.lstm())
        let scheduler = CompletionScheduler(width: 2)
        defer { scheduler.stop() }
        let release = DispatchSemaphore(value: 0)
        let log = JobLog()
        let (started, didStart) = AsyncStream.makeStream(of: Void.self)
        let blocker = Task {
            await scheduler.run(document: "B", engine: engine, generation: 0) { _ in
                log.append("blocker")
                didStart.yield()
                release.wait()
            }
        }
        for await _ in started { break }
        let queued = Task {
            await scheduler.run(document: "B", engine: engine, generation: 0) { _ in log.append("queued") }
        }
        queued.cancel()
        release.signal()
        _ = await blocker.value
        #expect(await queued.value == nil)
        #expect(!log.all.contains("queued"))
    }
}
