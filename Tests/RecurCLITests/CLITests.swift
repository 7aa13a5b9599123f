import Foundation
import Testing

/// Runs the built `recur` binary as a user would, over pipes.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `recur` built beside this test bundle.
    static let binary: URL = {
        if let override = ProcessInfo.processInfo.environment["RECUR_BIN"] { return URL(fileURLWithPath: override) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("recur")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/recur")
    }()

    /// The environment for every child: the store lives in a scratch XDG_DATA_HOME, never in the user's own.
    static let environment: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        env["XDG_DATA_HOME"] =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("recur-tests-data-\(UUID().uuidString)").path
        return env
    }()

    @discardableResult
    /// Runs the binary; `launcher` runs it under another program found on PATH (`unshare`, `strace`).
    static func run(
        _ arguments: [String], stdin: String? = nil, environment: [String: String] = CLI.environment,
        launcher: [String] = []
    ) throws -> Result {
        let process = Process()
        if launcher.isEmpty {
            process.executableURL = binary
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = launcher + [binary.path] + arguments
        }
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so that neither can fill up and block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("recur-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite(.serialized) struct CLITests {
    @Test func helpListsEveryCommandAndOption() throws {
        let root = try CLI.run(["--help"])
        #expect(root.status == 0)
        for command in ["train", "generate", "complete", "eval"] { #expect(root.stdout.contains(command)) }
        let train = try CLI.run(["train", "--help"])
        for option in [
            "--corpus", "--cell", "--layers", "--hidden", "--embedding", "--seq-len", "--batch", "--steps", "--epochs",
            "--minutes", "--lr", "--val-fraction", "--dropout", "--output-dropout", "--seed", "--out", "--resume",
            "--keep", "--plot",
        ] {
            #expect(train.stdout.contains(option), "train --help lacks \(option)")
        }
        let complete = try CLI.run(["complete", "--help"])
        for option in [
            "--n", "--temperature", "--top-k", "--top-p", "--max-chars", "--stop", "--seed", "--json",
            "--no-word-filter", "--inline", "--min-probability",
        ] {
            #expect(complete.stdout.contains(option), "complete --help lacks \(option)")
        }
        let generate = try CLI.run(["generate", "--help"])
        for option in ["--prompt", "--length", "--temperature", "--greedy", "--top-k", "--top-p", "--seed"] {
            #expect(generate.stdout.contains(option), "generate --help lacks \(option)")
        }
    }

    @Test func trainResumeGenerateCompleteAndEval() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.txt")
        let text = String(repeating: "hello world, hello recur. the cat sat on the mat.\n", count: 80)
        try text.write(to: corpus, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.safetensors").path
        let plot = dir.appendingPathComponent("loss.svg").path
        let common = [
            "train", "--corpus", corpus.path, "--layers", "1", "--hidden", "24", "--embedding", "8", "--seq-len", "20",
            "--batch", "8", "--lr", "1e-2", "--warmup", "5", "--val-every", "20", "--threads", "1", "--out", model,
        ]
        let trained = try CLI.run(common + ["--steps", "60", "--plot", plot])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.isEmpty, "progress belongs on stderr")
        #expect(trained.stderr.contains("step 60/60"))
        #expect(FileManager.default.fileExists(atPath: model))
        #expect(FileManager.default.fileExists(atPath: model + ".checkpoint"))
        #expect(try String(contentsOfFile: plot, encoding: .utf8).contains("<polyline"))

        let resumed = try CLI.run(common + ["--steps", "80", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at step 60"))
        #expect(resumed.stderr.contains("step 80/80"))

        // --init continues from a model's weights (and its architecture) with a fresh optimizer.
        let continued = dir.appendingPathComponent("continued.safetensors").path
        let initRun = try CLI.run([
            "train", "--corpus", corpus.path, "--init", model, "--hidden", "999", "--seq-len", "20", "--batch", "8",
            "--steps", "5", "--val-every", "5", "--threads", "1", "--out", continued,
        ])
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stderr.contains("lstm 1×24"), "the architecture comes from the initial model")

        // --init default starts from the built-in model: the same weights as Models/default.safetensors, so the
        // same architecture and the same first loss on the same batch.
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Models/default.safetensors").path
        func firstStep(initialModel: String) throws -> (model: Substring, loss: Substring) {
            let run = try CLI.run([
                "train", "--corpus", corpus.path, "--init", initialModel, "--cell", "lstm", "--layers", "1",
                "--hidden", "24", "--seq-len", "20", "--batch", "4", "--steps", "1", "--val-every", "1",
                "--val-windows", "4", "--threads", "1", "--seed", "3", "--out",
                dir.appendingPathComponent("from-default.safetensors").path,
            ])
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            let model = lines.first { $0.hasPrefix("model ") } ?? ""
            let step = lines.first { $0.hasPrefix("step 1/1") } ?? ""
            let loss = step.range(of: #"loss [0-9.]+"#, options: .regularExpression).map { step[$0] } ?? ""
            return (model, loss)
        }
        let builtIn = try firstStep(initialModel: "default")
        let fromFile = try firstStep(initialModel: shipped)
        #expect(!builtIn.model.isEmpty && !builtIn.model.contains("lstm 1×24"), "\(builtIn.model)")
        #expect(builtIn.model == fromFile.model)
        #expect(!builtIn.loss.isEmpty && builtIn.loss == fromFile.loss, "\(builtIn.loss) vs \(fromFile.loss)")

        let generated = try CLI.run([
            "generate", "--model", model, "--prompt", "hello", "--length", "50", "--seed", "1",
        ])
        #expect(generated.status == 0)
        #expect(generated.stdout.hasPrefix("hello"))
        #expect(generated.stdout.utf8.count >= 50)
        let again = try CLI.run(["generate", "--model", model, "--prompt", "hello", "--length", "50", "--seed", "1"])
        #expect(again.stdout == generated.stdout, "same seed, same text")

        let completed = try CLI.run(["complete", "--model", model, "--json", "--n", "8", "--temperature", "1", "the c"])
        #expect(completed.status == 0)
        struct Output: Decodable {
            struct Item: Decodable {
                var text: String
                var logprob: Double
                var probability: Double
            }
            var completions: [Item]
        }
        let parsed = try JSONDecoder().decode(Output.self, from: Data(completed.stdout.utf8))
        #expect(!parsed.completions.isEmpty)
        #expect(Set(parsed.completions.map(\.text)).count == parsed.completions.count)
        #expect(zip(parsed.completions, parsed.completions.dropFirst()).allSatisfy { $0.logprob >= $1.logprob })
        for item in parsed.completions { #expect(abs(exp(item.logprob) - item.probability) < 1e-9) }

        let fromStdin = try CLI.run(["complete", "--model", model, "--n", "3"], stdin: "hello wor")
        #expect(fromStdin.status == 0)
        #expect(!fromStdin.stdout.isEmpty)

        let evaluated = try CLI.run(["eval", "--model", model, "--json", corpus.path])
        #expect(evaluated.status == 0)
        struct Score: Decodable {
            var bytes: Int
            var characters: Int
            var nats_per_byte: Double
            var nats_per_char: Double
            var bits_per_char: Double
        }
        struct Eval: Decodable {
            var files: [Score]
            var total: Score
        }
        let scores = try JSONDecoder().decode(Eval.self, from: Data(evaluated.stdout.utf8))
        #expect(scores.files.count == 1)
        #expect(scores.total.bytes == text.utf8.count && scores.total.characters == text.unicodeScalars.count)
        #expect(scores.total.nats_per_byte < 3, "a trained model beats uniform (5.55)")
        #expect(abs(scores.total.bits_per_char - scores.total.nats_per_char / log(2)) < 1e-9)
    }

    /// The default model is inside the binary: it works without --model, even from a copy of the binary elsewhere.
    /// The default model finishes "you bastar" with a word of the offensive-word list (and its plural) most of the
    /// time. The filter (on by default) never offers them, from the command line or the daemon; turned off, they
    /// show. (`SuggestionFilterTests` covers words that the model reaches only by sampling.)
    @Test func offensiveWordsAreNeverOfferedUnlessTheFilterIsOff() throws {
        let prefix = "Damn you, you bastar"
        struct Output: Decodable {
            struct Item: Decodable { var text: String }
            var completions: [Item]
        }
        func words(_ extra: [String], seed: Int) throws -> [String] {
            let result = try CLI.run(
                ["complete", "--json", "--n", "64", "--temperature", "1.3", "--seed", String(seed), prefix] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8)).completions.map {
                "bastar" + $0.text.prefix { $0.isLetter }
            }
        }
        let seeds = Array(1...3)
        let unfiltered = try seeds.flatMap { try words(["--no-word-filter"], seed: $0) }
        try #require(unfiltered.contains("bastard"), "the model must reach the word for this test to mean anything")
        for seed in seeds {
            #expect(try words([], seed: seed).allSatisfy { $0 != "bastard" && $0 != "bastards" }, "seed \(seed)")
        }

        for filtering in [true, false] {
            let client = try HostileInputTests.start(options: filtering ? nil : ["filterOffensiveWords": false])
            defer { client.process.terminate() }
            var offered: [String] = []
            for seed in seeds {
                try client.send([
                    "jsonrpc": "2.0", "id": .int(seed), "method": "recur/complete",
                    "params": ["text": .string(prefix), "n": 64, "temperature": 1.3, "seed": .int(seed)],
                ])
                let answer = try #require(client.response(to: .int(seed), timeout: 60))
                for item in answer["result"]?["completions"]?.arrayValue ?? [] {
                    offered.append("bastar" + (item["text"]?.stringValue ?? "").prefix { $0.isLetter })
                }
            }
            #expect(!offered.isEmpty)
            #expect(offered.contains("bastard") == !filtering, "filterOffensiveWords: \(filtering)")
            #expect(filtering ? !offered.contains("bastards") : true)
        }
    }

    @Test func embeddedDefaultModelWorksFromAnywhere() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("recur")
        try FileManager.default.copyItem(at: CLI.binary, to: copy)
        let process = Process()
        process.executableURL = copy
        process.arguments = ["complete", "--json", "--n", "5", "def __init__(self"]
        process.currentDirectoryURL = dir
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let completions = try #require(object?["completions"] as? [[String: Any]])
        #expect(!completions.isEmpty)
    }

    @Test func evalOnTheHeldOutSplitWithBaselineAndKeystrokeSavings() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("text.txt")
        let text = String(repeating: "the cat sat on the mat and the cat sat still. ", count: 40)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let scored = try CLI.run([
            "eval", "--json", "--validation-split", "0.25", file.path, "--baseline-corpus", file.path,
        ])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        let total = try #require(object["total"] as? [String: Any])
        #expect(total["bytes"] as? Int == text.utf8.count / 4)
        // The baseline trained on the first 75% of this repetitive text predicts the rest almost perfectly.
        let baseline = try #require(total["baseline_nats_per_char"] as? Double)
        #expect(baseline < 0.3)

        let ksr = try CLI.run([
            "eval", "--ksr", "--json", "--top", "3", "--max-bytes", "400", "--beam", "2", file.path,
            "--baseline-corpus", file.path,
        ])
        #expect(ksr.status == 0, "\(ksr.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ksr.stdout.utf8)) as? [String: Any])
        let files = try #require(report["files"] as? [[String: Any]])
        let buffer = try #require(files.first?["buffer_words"] as? [String: Any])
        let ngram = try #require(files.first?["ngram"] as? [String: Any])
        let recur = try #require(files.first?["recur"] as? [String: Any])
        #expect(buffer["keystrokesWithout"] as? Int == 400)
        // Buffer words know every word after the first sentence (10 words): most of the 80 words are accepted.
        #expect((buffer["acceptedCompletions"] as? Int ?? 0) > 50)
        #expect((ngram["acceptedCompletions"] as? Int ?? 0) > 50)
        #expect(recur["completionRequests"] as? Int ?? 0 > 0)
    }

    /// `complete --inline` prints ghost text as the daemon offers it: only what the model (mixed with the text's
    /// own words, inside a word) is at least that sure of, on one line; at 0, whole lines.
    @Test func completeInlinePrintsGhostText() throws {
        func items(_ extra: [String]) throws -> [(text: String, probability: Double)] {
            let run = try CLI.run(
                ["complete", "--inline", "--json", "--n", "6", "--seed", "1"] + extra + ["import os\nimport os.pa"])
            #expect(run.status == 0, "\(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let completions = try #require(object["completions"] as? [[String: Any]])
            return completions.map { ($0["text"] as? String ?? "", $0["probability"] as? Double ?? -1) }
        }
        let ghost = try items([])
        #expect(!ghost.isEmpty)
        for item in ghost {
            #expect(item.probability >= 0.2 - 1e-9, "\(item)")
            #expect(!item.text.contains("\n") && item.text.last.map { !$0.isWhitespace } == true, "\(item)")
        }
        let whole = try items(["--min-probability", "0"])
        #expect(whole.map(\.text.count).max()! > ghost.map(\.text.count).max()!)
        let refused = try CLI.run(["complete", "--inline", "--min-probability", "1", "x"])
        #expect(refused.status != 0 && refused.stderr.contains("--min-probability must be in [0, 1)"))
    }

    /// `eval --ksr --inline` types a text with the daemon's ghost text: taken when it is right, one key each.
    @Test func evalInlineSimulatesGhostText() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("text.txt")
        try String(repeating: "It is a truth universally acknowledged, that a single man. ", count: 8)
            .write(to: file, atomically: true, encoding: .utf8)
        let run = try CLI.run(["eval", "--ksr", "--inline", "--json", "--max-bytes", "240", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        let inline = try #require(reports.first?["recur_inline"] as? [String: Any])
        let without = try #require(inline["keystrokesWithout"] as? Int)
        let with = try #require(inline["keystrokesWith"] as? Int)
        let shown = try #require(inline["shown"] as? Int)
        let accepted = try #require(inline["accepted"] as? Int)
        let characters = try #require(inline["acceptedCharacters"] as? Int)
        #expect(without == 240)
        #expect(accepted > 0 && shown >= accepted)
        // Every character is typed or taken: one key per typed character and one per ghost text taken.
        #expect(with == without - characters + accepted)
        #expect(reports.first?["min_probability"] as? Double == 0.2)

        let refused = try CLI.run(["eval", "--ksr", "--inline", "--inline-min-probability", "1", file.path])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--inline-min-probability must be in [0, 1)"))
    }

    /// `eval --dynamic` learns from what it reads: on text that repeats, the dynamic loss is far below the static
    /// one, with an update every span; settings out of range and combinations it does not support are refused.
    @Test func evalDynamicLearnsWhileReading() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("code.swift")
        let text = String(repeating: "let total = values.reduce(0, +) // sum them\n", count: 20)
        try text.write(to: file, atomically: true, encoding: .utf8)
        let scored = try CLI.run(["eval", "--dynamic", "--json", "--dynamic-span", "50", file.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        let total = try #require(object["total"] as? [String: Any])
        let fixed = try #require(total["static_nats_per_char"] as? Double)
        let learned = try #require(total["dynamic_nats_per_char"] as? Double)
        #expect(learned < fixed * 0.7, "dynamic \(learned) against static \(fixed)")
        #expect(total["updates"] as? Int == (text.utf8.count - 1 + 49) / 50)
        #expect(object["settings"] as? String == "rms lr 0.0007 span 50 decay 0.02 frozen head")

        // The keystroke-savings simulation with a completer that learns each line once typed.
        let typed = try CLI.run([
            "eval", "--ksr", "--dynamic", "--json", "--max-bytes", "600", "--beam", "2", file.path,
        ])
        #expect(typed.status == 0, "\(typed.stderr)")
        let ksr = try #require(try JSONSerialization.jsonObject(with: Data(typed.stdout.utf8)) as? [String: Any])
        let report = try #require((ksr["files"] as? [[String: Any]])?.first)
        #expect((report["learning_updates"] as? Int ?? 0) >= 3, "\(report)")
        let learning = try #require(report["recur_learning"] as? [String: Any])
        #expect(
            learning["keystrokesWithout"] as? Int == (report["recur"] as? [String: Any])?["keystrokesWithout"] as? Int)

        for arguments in [
            ["--dynamic-rule", "adam"], ["--dynamic-lr", "-1"], ["--dynamic-span", "0"], ["--dynamic-decay", "2"],
            ["--window", "64"],
        ] {
            let refused = try CLI.run(["eval", "--dynamic"] + arguments + [file.path])
            #expect(refused.status != 0 && refused.stderr.contains("--"), "\(arguments): \(refused.stderr)")
        }
    }

    @Test func badInputsGiveClearErrors() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("garbage.safetensors")
        try Data("not a model at all".utf8).write(to: garbage)
        let bad = try CLI.run(["complete", "--model", garbage.path, "x"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("not a valid safetensors model"))
        #expect(bad.stdout.isEmpty)
        let missing = try CLI.run(["eval", "--model", dir.appendingPathComponent("none").path, "x"])
        #expect(missing.status != 0 && missing.stderr.contains("no model file"))
        let topP = try CLI.run(["complete", "--model", garbage.path, "--top-p", "2", "x"])
        #expect(topP.status != 0 && topP.stderr.contains("--top-p"))
        let budgets = try CLI.run(["train", "--corpus", garbage.path, "--steps", "5", "--minutes", "1", "--out", "x"])
        #expect(budgets.status != 0 && budgets.stderr.contains("at most one of"))
    }
}
