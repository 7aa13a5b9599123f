import ArgumentParser
import Foundation
import RecurAdaptation
import RecurModel
import RecurStore

extension Recur {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, inspect, activate, roll back, export, import, delete and forget adapted models.",
            subcommands: [
                List.self, Show.self, Activate.self, Rollback.self, Export.self, Import.self, Delete.self,
                Forget.self,
            ])
    }
}

extension Recur.Models {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Profiles and their adapters, newest first.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only this profile.")
        var profile: String?
        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let store = try store.open()
            let profiles = try catching { try store.profiles() }.filter { profile == nil || $0.name == profile }
            let adapters = try catching { try store.adapters(profile: profile) }
            let layers = try catching { try store.onlineLayers() }.filter { profile == nil || $0.profile == profile }
            if json {
                struct Listing: Encodable {
                    var store: String
                    var profiles: [ProfileRecord]
                    var adapters: [AdapterInfo]
                    var onlineLayers: [OnlineLayerInfo]
                }
                writeOut(
                    try encodeJSON(
                        Listing(store: store.path, profiles: profiles, adapters: adapters, onlineLayers: layers))
                        + "\n")
                return
            }
            writeOut("store \(store.path)\n")
            if profiles.isEmpty { writeOut("no profiles yet: `recur adapt --profile NAME FILES...` makes one\n") }
            for p in profiles {
                let active = p.activeAdapterId.map { "adapter \($0)" } ?? "the base model"
                let layer = layers.first { $0.profile == p.name && $0.adapterId == p.activeAdapterId }
                writeOut("profile \(p.name): uses \(layer == nil ? "" : "its online layer over ")\(active)\n")
                if let layer {
                    writeOut(
                        "  + online layer: \(layer.bytesLearned) bytes learned from typing in \(layer.updates) updates, "
                            + "saved \(layer.updatedAt.formatted(.iso8601))\n")
                }
                for a in adapters where a.profile == p.name {
                    let mark = a.id == p.activeAdapterId ? "*" : " "
                    writeOut("  \(mark) \(describe(a))\n")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything recorded about one adapter.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Adapter id.")
        var id: Int64
        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let store = try store.open()
            guard let a = try catching({ try store.adapter(id: id) }) else {
                throw CommandFailure(StoreError.noSuchAdapter(id).description)
            }
            if json {
                writeOut(try encodeJSON(a) + "\n")
                return
            }
            let intact: String
            do {
                _ = try store.weights(adapterID: id)
                intact = "ok"
            } catch {
                intact = error.description
            }
            writeOut(
                """
                adapter \(a.id) of profile \(a.profile)\(a.parentId.map { ", trained from adapter \($0)" } ?? ", trained from the base model")
                created        \(a.createdAt)
                base model     \(a.baseSHA256)
                kind           \(a.kind), \(a.bytes) bytes, sha256 \(a.sha256) (\(intact))
                validation     \(String(format: "%.4f -> %.4f nats/byte", a.valLossBefore, a.valLoss))
                training       \(a.steps) steps, \(String(format: "%.1f", a.seconds)) s, final train loss \(a.trainLoss.map { String(format: "%.4f", $0) } ?? "n/a")
                settings       \(a.hyperparameters)
                corpus         \(a.corpusFiles.count) files, fingerprint \(a.corpusFingerprint)

                """)
            for f in a.corpusFiles { writeOut("  \(f.sha256.prefix(12))  \(f.bytes)  \(f.path)\n") }
        }
    }

    struct Activate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an adapter its profile's active one.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Adapter id.")
        var id: Int64

        func run() throws {
            let store = try store.open()
            try catching { try store.activate(adapterID: id) }
            writeOut("adapter \(id) is active\n")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the profile's online layer; without one, go back to the adapter the active one was "
                + "trained from (or to the base model).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Profile name.")
        var profile: String

        func run() throws {
            let store = try store.open()
            if let layer = try catching({ try store.dropOnlineLayer(profile: profile) }) {
                let active = try catching { try store.activeAdapter(profile: profile) }
                writeOut(
                    "profile \(profile): dropped its online layer (\(layer.bytesLearned) bytes learned in "
                        + "\(layer.updates) updates); it now uses \(active.map { "adapter \($0.id)" } ?? "the base model")\n"
                )
                return
            }
            let now = try catching { try store.rollback(profile: profile) }
            writeOut("profile \(profile) now uses \(now.map { "adapter \($0.id)" } ?? "the base model")\n")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an adapter's weights to a safetensors file (usable with --model, and with PyTorch).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Adapter id.")
        var id: Int64
        @Argument(help: "The file to write.")
        var file: String

        func run() throws {
            let store = try store.open()
            let bytes = try catching { try store.weights(adapterID: id) }
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                throw CommandFailure("cannot write \(file): \(error.localizedDescription)")
            }
            writeOut("wrote adapter \(id) to \(file) (\(bytes.count) bytes)\n")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a safetensors model as a new active adapter of a profile.",
            discussion: "The file must have the base model's architecture. Its base is read from its metadata "
                + "(files written by `export` carry it), else taken to be the current base model.")
        @OptionGroup var model: ModelOptions
        @Argument(help: "A .safetensors file.")
        var file: String

        func run() throws {
            let store = try model.store.open()
            let base = try model.loadBase()
            let profile = model.profile ?? "default"
            let bytes: [UInt8]
            let imported: LanguageModel<Float>
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
                imported = try LanguageModel<Float>(safetensors: bytes, path: file)
            } catch let error as ModelFileError {
                throw CommandFailure(error.description)
            } catch {
                throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
            }
            guard imported.config == base.config else {
                throw CommandFailure(
                    "\(file) is a \(imported.config), but the base model is a \(base.config): they cannot share a profile"
                )
            }
            let baseSHA = imported.metadata["recur.base_sha256"] ?? base.sourceSHA256 ?? "unknown"
            let val = Double(imported.metadata["val_loss"] ?? "") ?? .nan
            let before = Double(imported.metadata["recur.val_loss_before"] ?? "") ?? .nan
            let record = BaseModelRecord(
                sha256: baseSHA, name: baseSHA == base.sourceSHA256 ? model.baseName : "imported base",
                architecture: base.config.description, parameters: base.parameters.count)
            let active = try catching { try store.activeAdapter(profile: profile) }
            let info = try catching {
                try store.insert(
                    NewAdapter(
                        profile: profile, parentId: active?.id, base: record, weights: bytes,
                        corpusFingerprint: "imported:" + ModelStore.sha256(bytes),
                        corpusFiles: [CorpusFile(path: file, sha256: ModelStore.sha256(bytes), bytes: bytes.count)],
                        hyperparameters: "{\"imported\":true}", trainLoss: nil, valLossBefore: before, valLoss: val,
                        steps: Int(imported.metadata["train_steps"] ?? "") ?? 0,
                        seconds: Double(imported.metadata["train_seconds"] ?? "") ?? 0),
                    activate: true)
            }
            writeOut("imported \(file) as adapter \(info.id) of profile \(profile) (active)\n")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete one adapter (if it was active, the one it was trained from becomes active).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Adapter id.")
        var id: Int64

        func run() throws {
            let store = try store.open()
            try catching { try store.delete(adapterID: id) }
            writeOut("deleted adapter \(id)\n")
        }
    }

    struct Forget: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a profile and all its adapters, and compact the store so that no trace remains.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "Profile name.")
        var profile: String

        func run() throws {
            let store = try store.open()
            let removed = try catching { try store.forget(profile: profile) }
            writeOut("forgot profile \(profile): \(removed) adapters removed, store compacted\n")
        }
    }
}

/// One line per adapter for `models list`.
private func describe(_ a: AdapterInfo) -> String {
    let date = ISO8601DateFormatter().string(from: a.createdAt)
    return "\(a.id)  \(date)  val \(String(format: "%.4f -> %.4f", a.valLossBefore, a.valLoss))  "
        + "\(a.steps) steps  \(a.corpusFiles.count) files  \(a.bytes / 1024) KiB  base \(a.baseSHA256.prefix(12))"
}

/// Store errors become command failures (printed as "Error: ..." without usage text).
private func catching<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as StoreError {
        throw CommandFailure(error.description)
    }
}
