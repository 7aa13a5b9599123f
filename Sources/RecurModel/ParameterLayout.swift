/// Where each named tensor lives in a model's single flat parameter buffer.
///
/// Names and shapes follow PyTorch's `nn.Embedding` + `nn.LSTM/GRU/RNN(batch_first=True)` + `nn.Linear`,
/// so a `state_dict` maps one to one. One flat buffer makes Adam, clipping and copies single loops.
package struct ParameterLayout: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        package var name: String
        package var shape: [Int]
        package var offset: Int
        package var count: Int { shape.reduce(1, *) }
        package var range: Range<Int> { offset..<(offset + count) }
    }

    /// Offsets of one recurrent layer's four tensors.
    package struct Layer: Sendable, Equatable {
        package var weightIH: Int  // (G·H, in)
        package var weightHH: Int  // (G·H, H)
        package var biasIH: Int  // (G·H)
        package var biasHH: Int  // (G·H)
    }

    package let entries: [Entry]
    package let embedding: Int  // (V, E)
    package let layers: [Layer]
    package let headWeight: Int  // (V, H)
    package let headBias: Int  // (V)
    package let totalCount: Int

    package init(_ config: ModelConfig) {
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

    package func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}
