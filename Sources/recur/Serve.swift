import ArgumentParser
import Foundation
import Logging
import RecurKernels
import RecurModel
import RecurProtocol
import RecurServer

extension Recur {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the completion daemon: JSON-RPC 2.0 with LSP framing on stdin and stdout.",
            discussion: """
                Editors start this as a language server. stdout carries only protocol messages; logs go to \
                stderr (--log-level). Without --model, the embedded default model is used; \
                with a profile (--profile, initializationOptions.profile, else the workspace folder), its active \
                adapter from the store, and its online layer: what the daemon learned from the text typed in the \
                editor, which it keeps learning (settled lines only, never lines that look like secrets; \
                --no-online-learning, initializationOptions.onlineLearning or recur/setOnlineLearning turn it off).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var model: ModelOptions
        @OptionGroup(title: "Inference") var inference: InferenceOptions

        @Flag(
            name: .customLong("allow-any-path"),
            help: "Let recur/adapt read files outside the workspace folders the editor names.")
        var allowAnyPath = false

        @Flag(
            name: .customLong("online-learning"), inversion: .prefixedNo,
            help: "Learn from what the user types, and keep it in the profile's online layer in the store.")
        var onlineLearning = true

        @Option(
            name: .customLong("learning-save-interval"),
            help: "Seconds of learning between saves of the online layer (also saved at shutdown).")
        var learningSaveInterval: Double = 300

        func run() async throws {
            global.bootstrap()
            let transport = StdioTransport()
            let modelOptions = model
            ThreadPool.threads = inference.threads
            let server = Server(
                modelName: model.model ?? "default (embedded)",
                loadModel: { try modelOptions.loadBase() },
                storePath: model.store.path, profile: model.profile, allowAnyPath: allowAnyPath,
                onlineLearning: onlineLearning, learningSaveInterval: max(1, learningSaveInterval),
                precision: inference.precision,
                send: transport.send,
                terminate: { code in Foundation.exit(code) })
            let (messages, continuation) = AsyncStream.makeStream(of: DecodedMessage.self)
            let cancellations = server.cancellations
            let reader = Thread { transport.readMessages(into: continuation, observe: cancellations.observe) }
            reader.name = "recur-stdin"
            reader.start()
            for await message in messages { await server.handle(message) }
            await server.inputEnded()
        }
    }
}
