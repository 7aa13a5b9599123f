import Foundation
import RecurAdaptation
import RecurModel
import RecurProtocol
import RecurStore

/// Online learning on the actor: which typed text settles (`OpenDocuments`' `TypedText`), the budget, handing
/// settled text to the learning thread (`OnlineLearner`), swapping in the weights it publishes, and
/// `recur/setOnlineLearning`, `recur/syncOnlineLearning`. Nothing here runs a model step.
extension Server {
    var learningIsOn: Bool { settings.onlineLearning && phase == .running }

    /// Hands `ranges` of a document's `bytes` to the learner, as far as the budget allows.
    func queueLearning(_ bytes: [UInt8], _ ranges: [Range<Int>]) {
        guard learningIsOn else { return }
        for range in ranges where !range.isEmpty {
            let granted = learningBudget.take(range.count)
            bytesSkippedBudget += range.count - granted
            guard granted > 0 else { continue }
            let learned = range.lowerBound..<(range.lowerBound + granted)
            learner.learn(LearningText(excerptOf: bytes, range: learned))
        }
    }

    /// Hands the `settled` ranges of open document `uri` to the learner.
    func queueLearning(_ settled: [Range<Int>], of uri: DocumentURI) {
        guard !settled.isEmpty, let entry = documents[uri] else { return }
        queueLearning(entry.document.buffer.bytes, settled)
    }

    /// A completion request at `cursor` says where the cursor is: what it left settles.
    func cursorAt(_ uri: DocumentURI, offset: Int) {
        guard learningIsOn else { return }
        queueLearning(documents.settle(uri, cursor: offset), of: uri)
    }

    /// The profile's model was (re)loaded: the learner continues its online layer from there.
    func learnerResolved(epoch: Int, _ profileModel: ProfileModel, base: LanguageModel<Float>) {
        let record = base.sourceSHA256.map {
            BaseModelRecord(
                sha256: $0, name: engineHost.modelName, architecture: base.config.description,
                parameters: base.parameters.count)
        }
        var counters = OnlineLearning.Counters()
        if let layer = profileModel.onlineLayer {
            counters = OnlineLearning.Counters(bytesLearned: layer.bytesLearned, updates: layer.updates)
        }
        learner.reset(
            OnlineLearner.Layer(
                profile: engineHost.profile, adapterID: profileModel.adapterID, base: record,
                storePath: engineHost.storePath, epoch: epoch),
            start: profileModel.model, anchor: profileModel.anchor, counters: counters)
    }

    /// Weights the learner published: used from now on, states kept (a new generation of the same epoch).
    func learned(_ publication: OnlineLearner.Publication) {
        guard publication.epoch == engineHost.epoch, publication.sequence > installedLearnerSequence else { return }
        installedLearnerSequence = publication.sequence
        engineHost.install(learned: publication.engine)
        scheduler.reset(generation: engineHost.generation)
    }

    func setOnlineLearning(enabled: Bool) -> OnlineLearningStatus {
        settings.onlineLearning = enabled
        if !enabled {
            documents.forgetTyped()
            learner.dropQueued()
        }
        logger.info("online learning \(enabled ? "on" : "off")")
        return onlineLearningStatus()
    }

    /// Settles every document's typed text, waits until the learner has learned it all, and uses its weights.
    func syncOnlineLearning() async -> OnlineLearningStatus {
        if learningIsOn {
            for uri in documents.entries.keys.sorted() { queueLearning(documents.settleAll(uri), of: uri) }
        }
        // The engine's load resolves the layer the learner starts from; wait for it.
        _ = try? await engineHost.engine.value
        let (latest, sha) = await learner.sync()
        if let latest { learned(latest) }
        var status = onlineLearningStatus()
        status.weightsSHA256 = sha
        return status
    }

    func onlineLearningStatus() -> OnlineLearningStatus {
        let figures = learner.currentFigures
        return OnlineLearningStatus(
            enabled: settings.onlineLearning, learnFromOpenDocuments: settings.learnFromOpenDocuments,
            bytesLearned: figures.counters.bytesLearned, updates: figures.counters.updates,
            bytesPending: documents.pendingTypedBytes, bytesQueued: figures.bytesQueued,
            bytesSkippedSecrets: figures.counters.bytesSkippedSecrets,
            bytesSkippedBudget: bytesSkippedBudget + figures.bytesDropped,
            budgetBytesPerMinute: learningBudget.bytesPerMinute, learningSeconds: figures.learningSeconds,
            recentLoss: figures.counters.recentLoss,
            savedAt: figures.savedAt.map { ISO8601DateFormatter().string(from: $0) },
            unsavedUpdates: figures.unsavedUpdates, saveError: figures.saveError)
    }
}
