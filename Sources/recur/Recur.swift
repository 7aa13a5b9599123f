import ArgumentParser
import Logging

@main
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

    func bootstrap() {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
