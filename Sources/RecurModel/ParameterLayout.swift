/// Where each named tensor lives in a model's single flat parameter buffer.
///
/// Names and shapes follow PyTorch's `nn.Embedding` + `nn.LSTM/GRU/RNN(batch_first=True)` + `nn.Linear`,
/// so a `state_dict` maps one to one. One flat buffer makes Adam, clipping and copies single loops.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
        public var range: Range<Int> { offset..<(offset + count) }
    }

    /// Offsets of one recurrent layer's four tensors.
    public struct Layer: Sendable, Equatable {
        public var weightIH: Int  // (G·H, in)
        public var weightHH: Int  // (G·H, H)
        public var biasIH: Int  // (G·H)
        public var biasHH: Int  // (G·H)
    }

    public let entries: [Entry]
    public let embedding: Int  // (V, E)
    public let layers: [Layer]
    public let headWeight: Int  // (V, H)
    public let headBias: Int  // (V)
    public let totalCount: Int

    public init(_ config: ModelConfig) {
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int]) -> Int {
            let entry = Entry(name: name, shape: shape, offset: offset)
            entries.append(entry)
            offset += entry.count
            return entry.offset
        }
        let gh = config.gateWidth
        embedding = add("embedding.weight", [config.vocab, config.embedding])
        var layers: [Layer] = []
        for k in 0..<config.layers {
            let wih = add("rnn.weight_ih_l\(k)", [gh, config.inputWidth(ofLayer: k)])
            let whh = add("rnn.weight_hh_l\(k)", [gh, config.hidden])
            let bih = add("rnn.bias_ih_l\(k)", [gh])
            let bhh = add("rnn.bias_hh_l\(k)", [gh])
            layers.append(Layer(weightIH: wih, weightHH: whh, biasIH: bih, biasHH: bhh))
        }
        self.layers = layers
        headWeight = add("head.weight", [config.vocab, config.hidden])
        headBias = add("head.bias", [config.vocab])
        self.entries = entries
        totalCount = offset
    }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
