/// The fuzz targets: each takes arbitrary bytes and must neither crash, hang nor break an invariant. A broken
/// invariant is a `precondition` failure, which libFuzzer reports as a crash with the input that caused it.
///
/// `recur-fuzz` runs them under libFuzzer (`make fuzz`), and `RecurFuzzingTests` replays the committed corpora
/// (`Tests/FuzzCorpus/<target>/`), including every input that once crashed, in the normal test run.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// LSP framing, JSON-RPC decoding and every method's params.
    case framing
    /// Safetensors model files.
    case safetensors
    /// Random edit scripts against a reference text, in UTF-8, UTF-16 and UTF-32 positions.
    case edits
    /// Adapter BLOBs from the store, checked against a base model.
    case adapter

    package func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .framing: FramingFuzzer.run(data)
        case .safetensors: ModelFileFuzzer.runSafetensors(data)
        case .edits: EditScriptFuzzer.run(data)
        case .adapter: ModelFileFuzzer.runAdapter(data)
        }
    }

    package func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Reads a fuzzer's input as a stream of small decisions; past the end it reads zeros, so every input is valid.
struct FuzzInput {
    private let data: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ data: UnsafeRawBufferPointer) { self.data = data }

    var isAtEnd: Bool { position >= data.count }
    var remaining: Int { max(0, data.count - position) }

    mutating func byte() -> UInt8 {
        guard position < data.count else { return 0 }
        defer { position += 1 }
        return data[position]
    }

    mutating func uint16() -> UInt16 { UInt16(byte()) | UInt16(byte()) << 8 }

    /// Up to `count` bytes, fewer at the end.
    mutating func bytes(_ count: Int) -> [UInt8] {
        let n = min(count, remaining)
        defer { position += n }
        return Array(data[position..<(position + n)])
    }
}
