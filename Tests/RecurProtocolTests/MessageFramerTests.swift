import RecurProtocol
import Testing

@Suite struct MessageFramerTests {
    @Test func oneFrame() {
        var framer = MessageFramer()
        framer.append(framed(#"{"jsonrpc":"2.0"}"#))
        #expect(framer.next() == .message(bytes(#"{"jsonrpc":"2.0"}"#)))
        #expect(framer.next() == nil)
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func frameWritesTheHeaderThenTheBody() {
        #expect(MessageFramer.frame(bytes("héllo")) == bytes("Content-Length: 6\r\n\r\nhéllo"))
        #expect(MessageFramer.frame([UInt8]()) == bytes("Content-Length: 0\r\n\r\n"))
    }

    @Test func severalFramesInOneAppend() {
        var framer = MessageFramer()
        framer.append(framed("first") + framed("") + framed("third \r\n\r\n body"))
        #expect(framer.drain() == [.message(bytes("first")), .message([]), .message(bytes("third \r\n\r\n body"))])
    }

    @Test func byteByByte() {
        let bodies = ["{}", "", "élan 世界 🎉", "a\r\n\r\nContent-Length: 3\r\n\r\nabc"]
        var framer = MessageFramer()
        var events: [FramerEvent] = []
        for byte in bodies.flatMap(framed) {
            framer.append(CollectionOfOne(byte))
            events += framer.drain()
        }
        #expect(events == bodies.map { .message(bytes($0)) })
    }

    @Test(arguments: [1, 2, 3, 42, 2024] as [UInt64])
    func randomChunkingOfTwoHundredFrames(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "{", "\"", "\r\n\r\n", "\n", "é", "世界", "🎉", "Content-Length: 12\r\n", " ", "\\u0000"]
        let bodies: [[UInt8]] = (0..<200).map { _ in
            let count = Int.random(in: 0...(Bool.random(using: &random) ? 8 : 400), using: &random)
            return bytes((0..<count).map { _ in pieces.randomElement(using: &random)! }.joined())
        }
        let stream = bodies.flatMap { MessageFramer.frame($0) }

        var framer = MessageFramer()
        var received: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            let size = Int.random(in: 1...(Bool.random(using: &random) ? 7 : 1500), using: &random)
            let end = min(offset + size, stream.count)
            framer.append(stream[offset..<end])
            offset = end
            for event in framer.drain() {
                guard case .message(let body) = event else {
                    Issue.record("unexpected \(event)")
                    continue
                }
                received.append(body)
            }
        }
        #expect(received == bodies)
        #expect(framer.bufferedByteCount == 0)
    }

    /// Every split point of a frame: inside the header name, the value, the line ending, the body.
    @Test func frameSplitAtEveryPosition() {
        let frame = bytes("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n") + framed(#"{"id":"é"}"#)
        for cut in 0...frame.count {
            var framer = MessageFramer()
            framer.append(frame[..<cut])
            var events = framer.drain()
            framer.append(frame[cut...])
            events += framer.drain()
            #expect(events == [.message(bytes(#"{"id":"é"}"#))], "split at \(cut)")
        }
    }

    @Test(arguments: [
        "content-length: 5\r\n\r\nhello",
        "CONTENT-LENGTH:5\r\n\r\nhello",
        "Content-length:\t5 \r\n\r\nhello",
        "Content-Length: 5\n\nhello",
        "Content-Length: 5\r\n\nhello",
        "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello",
        "Content-Length: 5\r\nX-Unknown: whatever: with colons\r\nContent-Type: text/plain\r\n\r\nhello",
        "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        "\r\n\r\n\nContent-Length: 5\r\n\r\nhello",
    ])
    func tolerantHeaders(stream: String) {
        var framer = MessageFramer()
        framer.append(bytes(stream))
        #expect(framer.drain() == [.message(bytes("hello"))])
    }

    @Test(
        arguments: [
            ("Content-Type: application/json\r\n\r\n{\"a\":1}", "missing Content-Length"),
            ("Content-Length: abc\r\n\r\n{\"a\":1}", "Content-Length 'abc' is not a non-negative decimal integer"),
            ("Content-Length: -5\r\n\r\n{\"a\":1}", "Content-Length '-5' is not a non-negative decimal integer"),
            ("Content-Length: 12x\r\n\r\n{\"a\":1}", "Content-Length '12x' is not a non-negative decimal integer"),
            ("Content-Length: \r\n\r\n{\"a\":1}", "empty Content-Length"),
            (
                "Content-Length: 99999999999999999999999\r\n\r\n{}",
                "Content-Length '99999999999999999999999' is out of range"
            ),
            ("Content-Length: 3\r\nContent-Length: 4\r\n\r\n{}", "conflicting Content-Length values 3 and 4"),
            ("garbage line\r\n\r\n{}", "expected 'Name: value', found 'garbage line'"),
        ] as [(String, String)])
    func badHeaderIsReportedThenTheNextFrameArrives(bad: String, reason: String) {
        var framer = MessageFramer()
        framer.append(bytes(bad) + framed("good") + framed("also good"))
        #expect(
            framer.drain() == [.error(.invalidHeader(reason)), .message(bytes("good")), .message(bytes("also good"))])
    }

    @Test func badHeaderFedByteByByteStillResynchronises() {
        var framer = MessageFramer()
        var events: [FramerEvent] = []
        for byte in bytes("Content-Length: nope\r\n\r\n{\"x\":1}\r\n") + framed("good") {
            framer.append([byte])
            events += framer.drain()
        }
        #expect(
            events == [
                .error(.invalidHeader("Content-Length 'nope' is not a non-negative decimal integer")),
                .message(bytes("good")),
            ])
    }

    /// A body longer than its Content-Length leaves its tail where a header should be; the next real header is
    /// found inside that tail.
    @Test func contentLengthTooShortLosesOnlyThatMessage() {
        var framer = MessageFramer()
        framer.append(bytes("Content-Length: 4\r\n\r\n{\"a\":1}") + framed("good"))
        #expect(
            framer.drain() == [
                .message(bytes("{\"a\"")), .error(.invalidHeader("missing Content-Length")), .message(bytes("good")),
            ])
    }

    @Test func twoGigabyteClaimIsSkippedWithoutBeingStored() {
        var framer = MessageFramer()
        let claimed = 2_000_000_000
        framer.append(bytes("Content-Length: \(claimed)\r\n\r\n"))
        #expect(framer.next() == .error(.messageTooLarge(claimed)))

        let megabyte = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        var fed = 0
        for _ in 0..<256 {  // 1 MB of junk body in 4 KiB chunks.
            framer.append(megabyte[0..<4096])
            fed += 4096
            #expect(framer.next() == nil)
            #expect(framer.bufferedByteCount == 0)
            #expect(framer.storageCapacity <= 4096)
        }
        while fed + megabyte.count <= claimed {  // The rest, a megabyte at a time: dropped, never copied.
            framer.append(megabyte)
            fed += megabyte.count
        }
        #expect(framer.next() == nil)
        #expect(framer.storageCapacity <= 4096)
        framer.append(megabyte[0..<(claimed - fed)] + framed("after"))
        #expect(framer.drain() == [.message(bytes("after"))])
        #expect(framer.storageCapacity <= 4096)
    }

    @Test func oversizedBodyAndNextFrameInOneAppend() {
        var framer = MessageFramer(maximumContentLength: 100)
        let body = [UInt8](repeating: UInt8(ascii: "y"), count: 1000)
        framer.append(MessageFramer.frame(body) + framed("next") + MessageFramer.frame(body[..<100]))
        #expect(
            framer.drain() == [.error(.messageTooLarge(1000)), .message(bytes("next")), .message(Array(body[..<100]))])
    }

    @Test func unterminatedHundredKilobyteHeaderIsAnError() {
        var framer = MessageFramer()
        let filler = String(repeating: "a", count: 100_000)
        framer.append(bytes("Content-Length: 5\r\nX-Filler: \(filler)"))
        #expect(framer.drain() == [.error(.headerTooLarge(limit: MessageFramer.defaultMaximumHeaderLength))])
        #expect(framer.bufferedByteCount < 16)
        framer.append(bytes("\r\n\r\nhello") + framed("good"))
        #expect(framer.drain() == [.message(bytes("good"))])
    }

    @Test func endlessHeaderLinesAreAnError() {
        var framer = MessageFramer()
        var events: [FramerEvent] = []
        for index in 0..<2000 {
            framer.append(bytes("X-Header-\(index): value\r\n"))
            events += framer.drain()
            #expect(framer.bufferedByteCount <= MessageFramer.defaultMaximumHeaderLength + 32)
        }
        #expect(events == [.error(.headerTooLarge(limit: MessageFramer.defaultMaximumHeaderLength))])
    }

    @Test func junkWithoutNewlinesStaysBounded() {
        var framer = MessageFramer()
        var events: [FramerEvent] = []
        let junk = [UInt8](repeating: UInt8(ascii: "z"), count: 1000)
        for _ in 0..<100 {
            framer.append(junk)
            events += framer.drain()
            #expect(framer.bufferedByteCount <= MessageFramer.defaultMaximumHeaderLength + junk.count)
        }
        #expect(events.count == 1)
        framer.append(framed("good"))
        #expect(framer.drain() == [.message(bytes("good"))])
    }

    /// Chunks straddle frame boundaries, so the buffer is rarely empty: only compaction keeps it small.
    @Test func memoryStaysBoundedOverTenThousandFrames() {
        let stream = (0..<10_000).flatMap { index in
            framed(#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"n":\#(index)}}"#)
        }
        var framer = MessageFramer()
        var delivered = 0
        var largestStorage = 0
        var offset = 0
        var step = 0
        while offset < stream.count {
            step += 1
            let end = min(offset + 1 + (step * 7919) % 211, stream.count)
            framer.append(stream[offset..<end])
            offset = end
            for event in framer.drain() {
                if case .message = event { delivered += 1 }
            }
            largestStorage = max(largestStorage, framer.storageCapacity)
        }
        #expect(delivered == 10_000)
        #expect(framer.bufferedByteCount == 0)
        #expect(largestStorage <= 2048)
    }

    @Test func storageOfOneLargeMessageIsReleased() {
        var framer = MessageFramer()
        framer.append(MessageFramer.frame([UInt8](repeating: 1, count: 8 << 20)))
        #expect(framer.drain().count == 1)
        #expect(framer.storageCapacity < 1 << 20)
    }

    /// Random bytes biased towards header syntax: never a crash, never unbounded storage.
    @Test(arguments: [7, 8, 9] as [UInt64])
    func fuzzedStreamNeverTraps(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let tokens = [
            "Content-Length: ", "content-length:", "Content-Type: x", "\r\n", "\n", "\r", "\r\n\r\n", "0", "7", "42",
            "-", "{}", "abc", ":", " ", "\u{FF}", "é",
        ].map(bytes)
        var framer = MessageFramer(maximumContentLength: 4096, maximumHeaderLength: 256)
        for _ in 0..<2000 {
            let chunk = (0..<Int.random(in: 1...40, using: &random)).flatMap { _ in
                tokens.randomElement(using: &random)!
            }
            framer.append(chunk)
            _ = framer.drain()
            #expect(framer.bufferedByteCount <= 4096 + 256 + 800)
        }
        framer.append(framed("sentinel"))
        _ = framer.drain()
        #expect(framer.bufferedByteCount <= 4096 + 256 + 800)
    }
}
