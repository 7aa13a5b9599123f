import ArgumentParser
import Dispatch
import Foundation
import RecurModel
import RecurTraining
import Synchronization

extension Recur {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a byte-level language model on text files (truncated BPTT over random windows).",
            discussion: """
                The last --val-fraction of every file is held out for validation. A checkpoint is written next to \
                --out (OUT.checkpoint) after every validation pass and when the run stops; Ctrl-C stops cleanly \
                after the current minibatch. --resume continues from that checkpoint with the same settings.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(name: .customLong("corpus"), parsing: .upToNextOption, help: "Text files to train on.")
        var corpus: [String] = []

        @Option(
            name: .customLong("init"),
            help: ArgumentHelp(
                "Start from this model's weights (its architecture overrides --cell, --layers, --hidden, --embedding); "
                    + "'default' is the model built into recur.",
                valueName: "model"))
        var initialModel: String?

        @Option(help: "Recurrent cell: lstm, gru or rnn.")
        var cell: CellKind = .lstm
        @Option(help: "Recurrent layers.")
        var layers: Int = 2
        @Option(help: "Hidden units per layer.")
        var hidden: Int = 256
        @Option(help: "Embedding width.")
        var embedding: Int = 64

        @Option(name: .customLong("seq-len"), help: "Bytes per training window (BPTT length).")
        var seqLen: Int = 100
        @Option(help: "Windows per minibatch.")
        var batch: Int = 32
        @Option(help: "Optimizer steps to run.")
        var steps: Int?
        @Option(help: "Passes over the training bytes (instead of --steps).")
        var epochs: Double?
        @Option(help: "Wall-clock minutes to train (instead of --steps).")
        var minutes: Double?

        @Option(help: "Peak learning rate (Adam).")
        var lr: Float = 2e-3
        @Option(name: .customLong("min-lr-fraction"), help: "Final learning rate as a fraction of the peak.")
        var minLRFraction: Float = 0.1
        @Option(help: "Linear warm-up steps.")
        var warmup: Int = 100
        @Option(help: "Decay after warm-up: cosine, step or constant.")
        var decay: LearningRateSchedule.Decay = .cosine
        @Option(help: "Clip the global gradient norm to this value (0: off).")
        var clip: Float = 1
        @Option(help: "Dropout between recurrent layers.")
        var dropout: Double = 0
        @Option(
            name: .customLong("output-dropout"),
            help: "Dropout on the top layer's output, before the head (char-rnn's; not in the recurrence).")
        var outputDropout: Double = 0
        @Option(name: .customLong("weight-decay"), help: "L2 weight decay added to the gradient.")
        var weightDecay: Float = 0

        @Option(name: .customLong("val-fraction"), help: "Fraction at the end of each file held out for validation.")
        var valFraction: Double = 0.1
        @Option(name: .customLong("val-every"), help: "Steps between validation passes and checkpoints.")
        var valEvery: Int = 200
        @Option(name: .customLong("val-windows"), help: "Validation windows scored per pass.")
        var valWindows: Int = 256
        @Flag(
            name: .customLong("strip-separators"), help: "Drop '==== FILE: ... ====' separator lines from the corpus.")
        var stripSeparators = false

        @Option(help: "Random seed: the same seed and settings give the same model.")
        var seed: UInt64 = 0
        @Option(help: "BLAS threads.")
        var threads: Int = 2

        @Option(help: "Where to write the trained model (.safetensors).")
        var out: String
        @Flag(help: "Write the model as float16 (half the size).")
        var half = false
        @Flag(help: "Continue from OUT.checkpoint.")
        var resume = false
        @Option(
            help: ArgumentHelp(
                "Which weights to write: best (the lowest validation loss) or last. OUT.checkpoint keeps both.",
                valueName: "best|last"))
        var keep: KeptWeights = .best
        @Option(help: "Write the train and validation loss curves to this SVG file.")
        var plot: String?

        func validate() throws {
            guard !corpus.isEmpty else { throw ValidationError("name the text to train on with --corpus FILE...") }
            for path in corpus where !FileManager.default.fileExists(atPath: path) {
                throw ValidationError("corpus file '\(path)' does not exist")
            }
            let budgets = [steps != nil, epochs != nil, minutes != nil].filter { $0 }.count
            guard budgets <= 1 else { throw ValidationError("give at most one of --steps, --epochs and --minutes") }
            guard layers >= 1, hidden >= 1, embedding >= 1 else {
                throw ValidationError("--layers, --hidden and --embedding must be positive")
            }
            guard seqLen >= 1, batch >= 1 else { throw ValidationError("--seq-len and --batch must be positive") }
            guard (0..<1).contains(dropout) else { throw ValidationError("--dropout must be in [0, 1)") }
            guard (0..<1).contains(outputDropout) else {
                throw ValidationError("--output-dropout must be in [0, 1)")
            }
            guard (0..<0.91).contains(valFraction) else { throw ValidationError("--val-fraction must be in [0, 0.9]") }
            guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive") }
            if let initialModel, initialModel != "default", !FileManager.default.fileExists(atPath: initialModel) {
                throw ValidationError("--init: no model file at '\(initialModel)'")
            }
            if initialModel != nil && resume { throw ValidationError("use either --init or --resume, not both") }
            guard valEvery >= 1, threads >= 1 else {
                throw ValidationError("--val-every and --threads must be positive")
            }
            if let steps, steps < 1 { throw ValidationError("--steps must be positive") }
            if let epochs, !(epochs > 0) { throw ValidationError("--epochs must be positive") }
            if let minutes, !(minutes > 0) { throw ValidationError("--minutes must be positive") }
        }

        var budget: TrainingBudget? {
            if let steps { return .steps(steps) }
            if let epochs { return .epochs(epochs) }
            if let minutes { return .minutes(minutes) }
            return nil
        }

        func run() throws {
            global.bootstrap()
            let outURL = URL(fileURLWithPath: out)
            let checkpointURL = URL(fileURLWithPath: out + ".checkpoint")
            let data: Corpus
            do {
                data = try Corpus(
                    files: corpus.map { URL(fileURLWithPath: $0) }, validationFraction: valFraction,
                    stripSeparators: stripSeparators)
            } catch { throw CommandFailure(error.description) }

            let trainer: Trainer
            if resume {
                guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
                    throw ValidationError("--resume: no checkpoint at \(checkpointURL.path)")
                }
                trainer = try Trainer(resumingFrom: checkpointURL, corpus: data, budget: budget)
                log("resuming at step \(trainer.step) from \(checkpointURL.path)")
            } else {
                var options = TrainingOptions()
                options.sequenceLength = seqLen
                options.batchSize = batch
                options.schedule = LearningRateSchedule(
                    peak: lr, minimumFraction: minLRFraction, warmupSteps: warmup, decay: decay)
                options.gradientClip = clip
                options.dropout = dropout
                options.outputDropout = outputDropout
                options.weightDecay = weightDecay
                options.seed = seed
                options.budget = budget ?? .steps(1000)
                options.validationInterval = valEvery
                options.validationWindows = valWindows
                options.threads = threads
                let model: LanguageModel<Float>
                if let initialModel {
                    do {
                        model =
                            initialModel == "default"
                            ? try DefaultModel.load()
                            : try LanguageModel<Float>(contentsOf: URL(fileURLWithPath: initialModel))
                    } catch {
                        throw CommandFailure(error.description)
                    }
                } else {
                    let config = ModelConfig(cell: cell, layers: layers, hidden: hidden, embedding: embedding)
                    model = LanguageModel<Float>(config: config, seed: seed)
                }
                trainer = try Trainer(model: model, corpus: data, options: options)
            }
            log(
                "model \(trainer.model.config), \(trainer.model.parameters.count) parameters; "
                    + "\(data.trainBytes) train bytes, \(data.validationBytes) validation bytes")

            let stop = StopFlag.installed()
            let reporter = ProgressReporter()
            try trainer.run(
                shouldStop: { stop.isSet },
                checkpoint: { try $0.writeCheckpoint(to: checkpointURL) },
                progress: reporter.report)
            reporter.finish()
            let model = trainer.trainedModel(
                keeping: keep,
                extraMetadata: [
                    "corpus": corpus.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ","),
                    "val_fraction": String(valFraction),
                ])
            try model.write(to: outURL, half: half)
            if let plot {
                try LossPlot.svg(train: trainer.trainHistory, validation: trainer.validationHistory)
                    .write(toFile: plot, atomically: true, encoding: .utf8)
            }
            let last = trainer.validationHistory.last.map { String(format: "%.4f", $0.loss) } ?? "n/a"
            var kept = ""
            if keep == .best, let best = trainer.best, best.step != trainer.step {
                kept = String(
                    format: "; kept step %d's weights (best validation %.4f; the last are in %@)", best.step,
                    best.loss, checkpointURL.lastPathComponent)
            }
            log(
                "wrote \(outURL.path) after \(trainer.step) steps; validation loss \(last) nats/byte\(kept)"
                    + (stop.isSet ? " (stopped early; --resume continues)" : ""))
        }

        private func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }
}

extension LearningRateSchedule.Decay: ExpressibleByArgument {}
extension KeptWeights: ExpressibleByArgument {}

/// Set by SIGINT or SIGTERM, so that training stops between minibatches and keeps its checkpoint.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    // Signal sources must stay alive as long as the process handles the signals.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    var isSet: Bool { flag.load(ordering: .relaxed) }

    static func installed() -> StopFlag {
        let stop = StopFlag()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.flag.store(true, ordering: .relaxed) }
            source.resume()
            sources.append(source)
        }
        return stop
    }
}
