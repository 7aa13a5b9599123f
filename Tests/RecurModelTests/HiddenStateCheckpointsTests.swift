import RecurDocuments
import RecurKernels
import Testing

@testable import RecurModel

@Suite struct HiddenStateCheckpointsTests {
    static let config = ModelConfig(cell: .lstm, layers: 2, hidden: 8, embedding: 4)
    let predictor = Predictor(engine: InferenceEngine(model: LanguageModel(config: config, seed: 4)))

    /// The definition: the state at q is a fresh run from zero over text[resetPoint(q)..<q], one byte at a time.
    func fresh(_ text: [UInt8], at q: Int, window: ContextWindow) -> RecurrentState {
        var state = RecurrentState(config: Self.config)
        for byte in text[window.resetPoint(q)..<q] { predictor.step(&state, bytes: [byte]) }
        return state
    }

    @Test func resetPointsBoundTheContext() {
        let w = ContextWindow(interval: 100)
        #expect(w.resetPoint(0) == 0 && w.resetPoint(199) == 0 && w.resetPoint(200) == 100 && w.resetPoint(299) == 100)
        for q in stride(from: 200, to: 5000, by: 37) {
            let context = q - w.resetPoint(q)
            #expect(context >= 100 && context < 200)
        }
    }

    /// Thousands of random edits (multi-byte UTF-8, emoji across UTF-16 surrogates), each followed by a request
    /// at a random position or at the edit: the incremental state equals the fresh run bit for bit.
    @Test func randomEditsNeverChangeTheStateAtAnyPosition() throws {
        let window = ContextWindow(interval: 24)
        var checkpoints = HiddenStateCheckpoints(window: window, spacing: 5, capacity: 40)
        var buffer = TextBuffer("fn main() {\n    let café = \"🦊\";\n}\n")
        var rng = SeededGenerator(seed: 17)
        let pieces = ["a", "é", "🦊", "\n", "let ", "→", "\r\n", "", "xyz", "中文"]
        for iteration in 0..<2000 {
            let encoding = PositionEncoding.allCases[Int(rng.next() % 3)]
            let lines = buffer.lineCount
            let start = TextPosition(line: Int(rng.next() % UInt64(lines + 1)), character: Int(rng.next() % 12))
            let end =
                rng.next() % 3 == 0
                ? start : TextPosition(line: start.line + Int(rng.next() % 2), character: Int(rng.next() % 12))
            let text = pieces[Int(rng.next() % UInt64(pieces.count))]
            let change = TextChange.replace(range: TextRange(start: start, end: max(start, end)), text: text)
            let effect = try buffer.apply(change, encoding: encoding)
            checkpoints.invalidate(after: effect.firstChangedOffset)
            let bytes = buffer.bytes
            let q = rng.next() % 2 == 0 ? effect.insertedRange.upperBound : Int(rng.next() % UInt64(bytes.count + 1))
            let state = checkpoints.state(at: q, in: bytes, predictor: predictor)
            #expect(state == fresh(bytes, at: q, window: window), "iteration \(iteration), offset \(q)")
            #expect(checkpoints.count <= 40)
        }
    }

    /// Typing at the end costs at most two steps per byte, whatever the window boundaries.
    @Test func typingCostsAtMostTwoStepsPerByte() {
        let window = ContextWindow(interval: 32)
        var checkpoints = HiddenStateCheckpoints(window: window)
        var text = Array("The quick brown fox jumps over the lazy dog. ".utf8)
        _ = checkpoints.state(at: text.count, in: text, predictor: predictor)
        let before = checkpoints.steps
        let typed = Array(String(repeating: "and then some more words ", count: 12).utf8)
        for byte in typed {
            text.append(byte)
            checkpoints.invalidate(after: text.count - 1)
            let state = checkpoints.state(at: text.count, in: text, predictor: predictor)
            #expect(state == fresh(text, at: text.count, window: window))
        }
        #expect(checkpoints.steps - before <= 2 * typed.count)
        // A jump far back costs fewer than 2 · interval steps.
        let jumpStart = checkpoints.steps
        _ = checkpoints.state(at: 150, in: text, predictor: predictor)
        #expect(checkpoints.steps - jumpStart < 2 * window.maximumContext)
    }

    /// Trimmed to the last request, a document keeps at most four states, and they are still exact: typing on
    /// there costs a step per chain, a backspace fewer than 2 · `spacing` steps per chain.
    @Test func trimmingKeepsWhatResumingNeeds() {
        let window = ContextWindow(interval: 32)
        var checkpoints = HiddenStateCheckpoints(window: window, spacing: 8)
        var text = Array(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4).utf8)
        _ = checkpoints.state(at: 40, in: text, predictor: predictor)
        _ = checkpoints.state(at: text.count, in: text, predictor: predictor)
        #expect(checkpoints.count > 4)
        checkpoints.trimToLastRequest()
        #expect(checkpoints.count <= 4)

        text.append(UInt8(ascii: "x"))
        var before = checkpoints.steps
        #expect(
            checkpoints.state(at: text.count, in: text, predictor: predictor)
                == fresh(text, at: text.count, window: window))
        #expect(checkpoints.steps - before <= 2)

        checkpoints.trimToLastRequest()
        text.removeLast(2)
        checkpoints.invalidate(after: text.count)
        before = checkpoints.steps
        #expect(
            checkpoints.state(at: text.count, in: text, predictor: predictor)
                == fresh(text, at: text.count, window: window))
        #expect(checkpoints.steps - before < 2 * 2 * 8)
    }

    @Test func recordedCandidateStatesAreReused() {
        let window = ContextWindow(interval: 64)
        var checkpoints = HiddenStateCheckpoints(window: window)
        var text = Array("hello wor".utf8)
        var state = checkpoints.state(at: text.count, in: text, predictor: predictor)
        // The user accepts "ld": the sampler already computed the state after it.
        for byte in Array("ld".utf8) { predictor.step(&state, bytes: [byte]) }
        text += Array("ld".utf8)
        checkpoints.invalidate(after: text.count - 2)
        checkpoints.record(state, chain: window.resetPoint(text.count), at: text.count)
        let steps = checkpoints.steps
        #expect(checkpoints.state(at: text.count, in: text, predictor: predictor) == state)
        #expect(checkpoints.steps == steps, "no recomputation")
    }
}
