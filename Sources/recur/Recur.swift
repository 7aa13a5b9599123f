import ArgumentParser
import Logging
import RecurKernels

struct Recur: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "A private, local, byte-level RNN completion engine.",
        discussion: """
            Train a character-level recurrent language model on your text, generate from it, complete prefixes \
            and score files. Models are PyTorch-compatible safetensors files.
            """,
        version: "0.1.0",
        subcommands: [Serve.self, Complete.self, Generate.self, Train.self, Eval.self, Adapt.self, Models.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    /// Sets up logging, and BLAS to one thread: this is the one place that chooses BLAS threading for the process
    /// (only `Trainer` changes it, for the threads a training run asks for). Batch-1 inference is fastest on one
    /// thread, and a second BLAS thread spinning against other work on 2 cores made steps several times slower.
    func bootstrap() {
        BLASThreads.set(1)
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
