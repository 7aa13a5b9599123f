import Foundation
import RecurKernels
import RecurModel
import RecurStore
import RecurTraining

/// The settings of one adaptation run. Stored with the adapter (as JSON), and part of what makes a run reusable.
package struct AdaptationSettings: Codable, Sendable, Equatable {
    package var steps: Int?
    package var minutes: Double?
    package var learningRate: Float = 3e-3
    package var sequenceLength = 100
    package var batchSize = 32
    package var validationFraction = 0.1
    package var seed: UInt64 = 0

    package init(steps: Int? = nil, minutes: Double? = nil, learningRate: Float = 3e-3) {
        self.steps = steps
        self.minutes = minutes
        self.learningRate = learningRate
        if steps == nil && minutes == nil { self.steps = 300 }
    }

    package static let stepsRange = 1...100_000
    package static let maximumMinutes = 600.0

    /// The settings a user asked for, checked by the one rule that `recur adapt` and `recur/adapt` share. Fields
    /// are named as `recur/adapt` spells them (`steps`, `minutes`, `lr`).
    package init(validatingSteps steps: Int?, minutes: Double?, learningRate: Double?) throws(InvalidSetting) {
        if steps != nil && minutes != nil {
            throw InvalidSetting(field: "steps", rule: "give steps or minutes, not both")
        }
        if let steps, !Self.stepsRange.contains(steps) {
            throw InvalidSetting(field: "steps", rule: "must be between 1 and \(Self.stepsRange.upperBound)")
        }
        if let minutes, !(minutes > 0 && minutes <= Self.maximumMinutes) {
            throw InvalidSetting(field: "minutes", rule: "must be in (0, \(Int(Self.maximumMinutes))]")
        }
        if let learningRate, !(learningRate > 0 && learningRate < 1) {
            throw InvalidSetting(field: "lr", rule: "must be in (0, 1)")
        }
        self.init(steps: steps, minutes: minutes, learningRate: learningRate.map(Float.init) ?? Self().learningRate)
    }

    var budget: TrainingBudget {
        if let minutes { return .minutes(minutes) }
        return .steps(steps ?? 300)
    }

    /// Canonical JSON (sorted keys), compared byte for byte when looking for a reusable adapter.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// How an adaptation ended.
package enum AdaptationOutcome: String, Sendable, Codable {
    /// Validation loss improved: a new adapter is stored and active.
    case improved
    /// Validation loss did not improve: nothing stored, the active adapter is unchanged.
    case notImproved
    /// The same base, corpus and settings were adapted before: that adapter is made active, nothing trained.
    case reused
    /// Stopped on request: nothing stored.
    case cancelled
}

package struct AdaptationResult: Sendable {
    package var outcome: AdaptationOutcome
    package var profile: String
    package var adapter: AdapterInfo?
    package var valLossBefore: Double?
    package var valLossAfter: Double?
    package var steps = 0
    package var seconds = 0.0
    /// Warnings met on the way (a corrupt active adapter that was passed over, for example).
    package var warnings: [String] = []

    /// One line for people.
    package var message: String {
        let losses: String
        if let b = valLossBefore, let a = valLossAfter {
            losses = String(format: "validation loss %.4f -> %.4f nats/byte", b, a)
        } else {
            losses = ""
        }
        switch outcome {
        case .improved:
            return "profile '\(profile)': adapter \(adapter?.id ?? 0) stored and active; \(losses) "
                + String(format: "(%d steps, %.1f s)", steps, seconds)
        case .notImproved:
            return "profile '\(profile)': \(losses) did not improve; nothing stored, the active model is unchanged"
        case .reused:
            return "profile '\(profile)': the same base, corpus and settings were adapted before; reusing adapter "
                + "\(adapter?.id ?? 0) (validation loss \(String(format: "%.4f", adapter?.valLoss ?? .nan)))"
        case .cancelled:
            return "profile '\(profile)': cancelled after \(steps) steps; nothing stored"
        }
    }
}

/// What an adaptation is doing, for progress reports.
package struct AdaptationProgress: Sendable {
    package enum Phase: String, Sendable { case validatingBefore, training, validatingAfter, storing }
    package var phase: Phase
    package var step = 0
    package var totalSteps = 0
    package var trainLoss: Double?
    /// 0...1 over the whole job.
    package var fraction: Double

    package var message: String {
        switch phase {
        case .validatingBefore: "measuring the validation loss before training"
        case .training:
            "step \(step)/\(totalSteps)" + (trainLoss.map { String(format: ", loss %.3f", $0) } ?? "")
        case .validatingAfter: "measuring the validation loss after training"
        case .storing: "storing the adapter"
        }
    }
}

package enum AdaptationError: Error, CustomStringConvertible {
    case noText
    case tooLittleText(bytes: Int, needed: Int)
    case store(StoreError)
    /// Training improved the model but the store refused the result; the weights were saved to `savedTo`.
    case notStored(StoreError, profile: String, savedTo: String?)

    package var description: String {
        switch self {
        case .noText: "no text files to adapt on (binaries and files over the size limit are skipped)"
        case .tooLittleText(let bytes, let needed):
            "too little text to adapt on: \(bytes) bytes, at least \(needed) needed (the last 10% of each file is "
                + "held out for validation)"
        case .store(let error): error.description
        case .notStored(let error, let profile, let saved?):
            "\(error); the adapted weights were saved to \(saved): store them with "
                + "`recur models import --profile \(profile) \(saved)`"
        case .notStored(let error, _, nil):
            "\(error); the adapted weights could not be saved anywhere either"
        }
    }
}

/// Fine-tunes a profile's model on the user's text and keeps the result only if it helps.
///
/// Full fine-tuning of all weights, stored as float16 safetensors (see the README's comparison with low-rank
/// adapters). The run starts from the profile's active adapter, or from the base model; holds out the tail of each
/// file for validation; and stores a new active adapter only when the validation loss improved.
package enum Adaptation {
    package static func run(
        store: ModelStore, profile: String, base: LanguageModel<Float>, baseName: String, texts: [CollectedText],
        settings: AdaptationSettings, threads: Int = 1, shouldStop: @escaping () -> Bool = { false },
        progress: (AdaptationProgress) -> Void = { _ in }
    ) throws(AdaptationError) -> AdaptationResult {
        guard !texts.isEmpty else { throw .noText }
        let started = Date()
        let files = texts.map(\.corpusFile)
        let fingerprint = TextCollector.fingerprint(files)
        let baseSHA = base.sourceSHA256 ?? "unknown"
        var result = AdaptationResult(outcome: .cancelled, profile: profile)

        do {
            if let previous = try store.reusableAdapter(
                profile: profile, baseSHA256: baseSHA, corpusFingerprint: fingerprint, hyperparameters: settings.json)
            {
                try store.activate(adapterID: previous.id)
                result.outcome = .reused
                result.adapter = previous
                result.valLossBefore = previous.valLossBefore
                result.valLossAfter = previous.valLoss
                return result
            }
        } catch {
            throw .store(error)
        }

        let start = ProfileModel.resolve(store: store, profile: profile, base: base)
        result.warnings = start.warnings
        let corpus: Corpus
        do {
            corpus = try Corpus(
                texts: texts.map { ($0.path, $0.bytes) }, validationFraction: settings.validationFraction)
        } catch {
            throw .noText
        }
        var options = TrainingOptions()
        let longest = corpus.documents.map { min($0.train.count, $0.validation.count) }.max() ?? 0
        options.sequenceLength = min(settings.sequenceLength, max(longest - 1, 0))
        guard options.sequenceLength >= 16 else {
            throw .tooLittleText(bytes: corpus.trainBytes + corpus.validationBytes, needed: 170)
        }
        options.batchSize = settings.batchSize
        options.schedule = LearningRateSchedule(peak: settings.learningRate)
        options.schedule.warmupSteps = 10
        options.budget = settings.budget
        options.seed = settings.seed
        options.threads = threads
        options.validationInterval = Int.max
        options.validationWindows = 128

        let trainer: Trainer
        do {
            trainer = try Trainer(model: start.model, corpus: corpus, options: options)
        } catch {
            throw .tooLittleText(bytes: corpus.trainBytes, needed: options.sequenceLength + 1)
        }
        progress(AdaptationProgress(phase: .validatingBefore, fraction: 0))
        guard let before = trainer.validationLoss() else {
            throw .tooLittleText(bytes: corpus.validationBytes, needed: options.sequenceLength + 1)
        }
        result.valLossBefore = before
        var cancelled = false
        do {
            try trainer.run(
                shouldStop: {
                    cancelled = cancelled || shouldStop()
                    return cancelled
                },
                progress: { p in
                    progress(
                        AdaptationProgress(
                            phase: .training, step: p.step, totalSteps: p.totalSteps, trainLoss: p.trainLoss,
                            fraction: 0.05 + 0.9 * min(1, Double(p.step) / Double(max(p.totalSteps, 1)))))
                })
        } catch {
            throw .store(.sqlite(path: store.path, message: "training failed: \(error)"))
        }
        result.steps = trainer.step
        result.seconds = Date().timeIntervalSince(started)
        if cancelled { return result }

        // Score what will be stored: the float16-rounded weights.
        progress(
            AdaptationProgress(phase: .validatingAfter, step: trainer.step, totalSteps: trainer.step, fraction: 0.95))
        let trained = trainer.trainedModel(extraMetadata: [
            "recur.profile": profile, "recur.base_sha256": baseSHA, "recur.base": baseName,
            "recur.corpus_fingerprint": fingerprint, "recur.val_loss_before": String(format: "%.4f", before),
        ])
        let weights: [UInt8]
        let after: Double
        do {
            weights = try trained.encoded(half: true)
            let stored = try LanguageModel<Float>(safetensors: weights)
            after = try Trainer(model: stored, corpus: corpus, options: options).validationLoss() ?? .infinity
        } catch {
            throw .store(.sqlite(path: store.path, message: "cannot encode the adapted weights: \(error)"))
        }
        result.valLossAfter = after
        result.seconds = Date().timeIntervalSince(started)
        guard after < before else {
            result.outcome = .notImproved
            return result
        }
        progress(AdaptationProgress(phase: .storing, step: trainer.step, totalSteps: trainer.step, fraction: 0.98))
        let record = BaseModelRecord(
            sha256: baseSHA, name: baseName, architecture: base.config.description, parameters: base.parameters.count)
        do {
            result.adapter = try store.insert(
                NewAdapter(
                    profile: profile, parentId: start.adapterID, base: record, weights: weights,
                    corpusFingerprint: fingerprint, corpusFiles: files, hyperparameters: settings.json,
                    trainLoss: trainer.trainHistory.last?.loss, valLossBefore: before, valLoss: after,
                    steps: trainer.step, seconds: result.seconds),
                activate: true)
        } catch {
            // The training is not thrown away because the store is locked, read-only or full: the weights go to a
            // file that `recur models import` stores later.
            let saved = savePending(weights, profile: profile, storePath: store.path)
            throw .notStored(error, profile: profile, savedTo: saved)
        }
        result.outcome = .improved
        return result
    }

    /// Writes adapted weights that could not be stored beside the store (else in the temporary folder); nil when
    /// neither can be written.
    static func savePending(_ weights: [UInt8], profile: String, storePath: String) -> String? {
        let stamp = Int(Date().timeIntervalSince1970)
        let name = "recur-pending-\(profile.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(stamp).safetensors"
        let folders = [(storePath as NSString).deletingLastPathComponent, NSTemporaryDirectory()]
        for folder in folders where !folder.isEmpty {
            let path = (folder as NSString).appendingPathComponent(name)
            if (try? Data(weights).write(to: URL(fileURLWithPath: path), options: .atomic)) != nil { return path }
        }
        return nil
    }
}
