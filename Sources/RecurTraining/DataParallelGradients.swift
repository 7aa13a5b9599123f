import Dispatch
import RecurKernels
import RecurModel

/// The loss and gradient of one minibatch, computed as `shards` slices of the batch on as many threads, each with
/// single-threaded BLAS, then combined in a fixed order (so the result never depends on thread timing).
///
/// On 2 cores this beat one pass with 2 BLAS threads: the per-time-step products at batch 32 are too small for
/// OpenBLAS to split efficiently, while two independent slices keep both cores busy.
final class DataParallelGradients {
    let shards: Int
    private let rows: [Range<Int>]
    private let workspaces: [TrainingWorkspace<Float>]
    private var sliceGradients: [[Float]]
    private var sliceLosses: [Float]

    init(config: ModelConfig, parameterCount: Int, batch: Int, steps: Int, threads: Int, outputDropout: Bool) {
        let shards = max(1, min(threads, batch))
        self.shards = shards
        rows = (0..<shards).map { s in (s * batch / shards)..<((s + 1) * batch / shards) }
        workspaces = rows.map {
            TrainingWorkspace(config: config, batch: $0.count, steps: steps, outputDropout: outputDropout)
        }
        sliceGradients = [[Float]](repeating: [Float](repeating: 0, count: parameterCount), count: shards)
        sliceLosses = [Float](repeating: 0, count: shards)
    }

    /// Mean loss over the whole batch; writes its gradient into `gradients` (overwriting it).
    func compute(
        model: LanguageModel<Float>, batch: SequenceBatch, dropout: Double, outputDropout: Double,
        rng: inout SeededGenerator, gradients: inout [Float]
    ) -> Float {
        let T = batch.steps
        let slices = rows.map { r in
            SequenceBatch(
                batch: r.count, steps: T, inputs: Array(batch.inputs[(r.lowerBound * T)..<(r.upperBound * T)]),
                targets: Array(batch.targets[(r.lowerBound * T)..<(r.upperBound * T)]))
        }
        // One generator per slice, drawn in order, so dropout masks are reproducible and checkpointable.
        let seeds = (0..<shards).map { _ in rng.next() }
        if shards == 1 {
            var sliceRNG = SeededGenerator(seed: seeds[0])
            for i in gradients.indices { gradients[i] = 0 }
            return gradients.withUnsafeMutableBufferPointer { g in
                model.loss(
                    on: slices[0], workspace: workspaces[0], gradients: g.baseAddress!, dropout: dropout,
                    outputDropout: outputDropout, rng: &sliceRNG)
            }
        }
        let work = SliceWork(owner: self)
        DispatchQueue.concurrentPerform(iterations: shards) { s in
            work.run(
                slice: s, model: model, batch: slices[s], dropout: dropout, outputDropout: outputDropout,
                seed: seeds[s])
        }
        for i in gradients.indices { gradients[i] = 0 }
        var loss: Float = 0
        let total = Float(batch.batch)
        for s in 0..<shards {
            let weight = Float(rows[s].count) / total
            loss += weight * sliceLosses[s]
            sliceGradients[s].withUnsafeBufferPointer { g in
                for i in gradients.indices { gradients[i] += weight * g[i] }
            }
        }
        return loss
    }

    /// Lets the slices run concurrently. Safe because slice `s` reads only the shared, immutable model and batch
    /// and writes only `workspaces[s]`, `sliceGradients[s]` and `sliceLosses[s]`, whose storage is allocated
    /// before the parallel section and not resized during it; `compute` reads them after all slices finish.
    private struct SliceWork: @unchecked Sendable {
        let owner: DataParallelGradients

        func run(
            slice s: Int, model: LanguageModel<Float>, batch: SequenceBatch, dropout: Double, outputDropout: Double,
            seed: UInt64
        ) {
            var rng = SeededGenerator(seed: seed)
            owner.sliceGradients[s].withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] = 0 }
                owner.sliceLosses[s] = model.loss(
                    on: batch, workspace: owner.workspaces[s], gradients: g.baseAddress!, dropout: dropout,
                    outputDropout: outputDropout, rng: &rng)
            }
        }
    }
}
