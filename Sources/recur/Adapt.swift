import ArgumentParser
import Foundation
import RecurAdaptation
import RecurModel
import RecurStore

extension Recur {
    struct Adapt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fine-tune a profile's model on your own text and keep it in the store if it helps.",
            discussion: """
                Reads the text files named (directories recursively; inside a git repository only what git does \
                not ignore), skipping binaries and files over --max-file-bytes. Starts from the profile's active \
                adapter, or the base model; holds out the last 10% of each file; and stores the result, as the \
                profile's new active adapter, only if the validation loss improved. The same base, files and \
                settings as an earlier run reuse that run's adapter. Ctrl-C cancels and stores nothing.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions

        @Argument(help: ArgumentHelp("Text files or directories to learn from.", valueName: "file-or-dir"))
        var paths: [String]

        @Option(help: "Optimizer steps (default 300 when --minutes is not given).")
        var steps: Int?
        @Option(help: "Wall-clock minutes to train instead of --steps.")
        var minutes: Double?
        @Option(help: "Peak learning rate.")
        var lr: Float = AdaptationSettings().learningRate
        @Option(help: "Training threads.")
        var threads: Int = 2
        @Option(name: .customLong("max-file-bytes"), help: "Skip files larger than this.")
        var maxFileBytes: Int = 1 << 20
        @Flag(help: "Print the result as JSON.")
        var json = false

        func validate() throws {
            guard model.profile != nil else { throw ValidationError("name the profile to adapt with --profile NAME") }
            do throws(InvalidSetting) {
                _ = try AdaptationSettings(validatingSteps: steps, minutes: minutes, learningRate: Double(lr))
            } catch {
                throw ValidationError("--\(error.field) \(error.rule)")
            }
            guard threads >= 1 else { throw ValidationError("--threads must be positive") }
        }

        func run() throws {
            global.bootstrap()
            let profile = model.profile!
            let store = try model.store.open()
            let base = try model.loadBase()
            var collector = TextCollector()
            collector.maxFileBytes = maxFileBytes
            let collected = collector.collect(paths)
            for (path, reason) in collected.skipped { log("skipped \(path): \(reason)") }
            log(
                "\(collected.texts.count) files, \(collected.totalBytes) bytes; profile '\(profile)', store \(store.path)"
            )
            let stop = StopFlag.installed()
            let interactive = isatty(STDERR_FILENO) == 1
            var lastLine = Date.distantPast
            let result: AdaptationResult
            do {
                result = try Adaptation.run(
                    store: store, profile: profile, base: base, baseName: model.baseName, texts: collected.texts,
                    settings: AdaptationSettings(steps: steps, minutes: minutes, learningRate: lr), threads: threads,
                    shouldStop: { stop.isSet },
                    progress: { p in
                        let now = Date()
                        guard p.phase != .training || now.timeIntervalSince(lastLine) >= (interactive ? 0.2 : 5) else {
                            return
                        }
                        lastLine = now
                        let line = String(format: "%3.0f%% ", p.fraction * 100) + p.message
                        log(interactive ? "\r\u{1B}[2K" + line : line, newline: !interactive)
                    })
            } catch {
                if interactive { log("") }
                throw CommandFailure(error.description)
            }
            if interactive { log("") }
            for warning in result.warnings { log("warning: \(warning)") }
            if json {
                writeOut(try encodeJSON(AdaptReport(result)) + "\n")
            } else {
                writeOut(result.message + "\n")
            }
            if result.outcome == .cancelled { throw ExitCode(130) }
        }

        private func log(_ text: String, newline: Bool = true) {
            FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
        }
    }
}

/// `recur adapt --json` output.
struct AdaptReport: Encodable {
    var profile: String
    var outcome: String
    var adapterId: Int64?
    var valLossBefore: Double?
    var valLossAfter: Double?
    var steps: Int
    var seconds: Double
    var message: String
    var warnings: [String]

    init(_ r: AdaptationResult) {
        profile = r.profile
        outcome = r.outcome.rawValue
        adapterId = r.adapter?.id
        valLossBefore = r.valLossBefore
        valLossAfter = r.valLossAfter
        steps = r.steps
        seconds = r.seconds
        message = r.message
        warnings = r.warnings
    }
}

func encodeJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
