/// Words and phrases that are never suggested (`BlockedWords+Lists.swift` says where the shipped ones come from).
///
/// Matching is on words, case-insensitively: a word is a run of `ByteVocabulary.isWordByte` bytes, and the parts of
/// an identifier count too (split at `_`, digits, non-ASCII characters that are not letters such as `—` and `’`,
/// and lower-to-upper case changes, so `fooBar_baz2` holds `foo`, `bar` and `baz`). A word also matches as a
/// plural: a listed word plus "s", or plus "es" after s, x, z, ch or sh. An entry of several words (or with
/// punctuation, such as "g-spot") matches its exact text between word boundaries.
package struct BlockedWords: Sendable {
    private let words: Set<[UInt8]>
    /// Entries that are not a single word, lowercased.
    private let phrases: [[UInt8]]

    /// One entry per line; blank lines are skipped.
    package init(list: String) {
        var words = Set<[UInt8]>(), phrases: [[UInt8]] = []
        for line in list.split(whereSeparator: \.isNewline) {
            let entry = Self.lowercased(Array(line.trimmingWhitespace().utf8))
            guard !entry.isEmpty else { continue }
            if entry.allSatisfy(ByteVocabulary.isWordByte) { words.insert(entry) } else { phrases.append(entry) }
        }
        self.words = words
        self.phrases = phrases
    }

    /// The shipped list: LDNOOBW's English list and Recur's additions.
    package static let standard = BlockedWords(list: ldnoobwEnglish + "\n" + recurAdditions)

    package var count: Int { words.count + phrases.count }

    /// Whether `text` holds a blocked word or phrase that ends at or after `from` (a byte offset into `text`): one
    /// that the bytes from `from` on complete. Words that lie wholly before it are the user's own.
    package func blocks(_ text: [UInt8], from: Int) -> Bool {
        let lower = Self.lowercased(text)
        var i = 0
        while i < lower.count {
            guard ByteVocabulary.isWordByte(lower[i]) else {
                i += 1
                continue
            }
            let start = i
            while i < lower.count && ByteVocabulary.isWordByte(lower[i]) { i += 1 }
            guard i > from else { continue }
            if matches(lower[start..<i]) { return true }
            for part in Self.identifierParts(text[start..<i]) where matches(lower[part]) { return true }
        }
        for phrase in phrases where Self.contains(phrase, in: lower, endingAfter: from) { return true }
        return false
    }

    private func matches(_ word: ArraySlice<UInt8>) -> Bool {
        let w = Array(word)
        if words.contains(w) { return true }
        if w.count > 2, w.last == UInt8(ascii: "s") {
            if words.contains(Array(w.dropLast())) { return true }
            // -es after s, x, z, ch and sh.
            let stem = Array(w.dropLast(2))
            if w.count > 3, w[w.count - 2] == UInt8(ascii: "e"), let end = stem.last,
                Array("sxzh".utf8).contains(end), words.contains(stem)
            {
                return true
            }
        }
        return false
    }

    /// The ranges of an identifier's parts, unless it is one part from end to end. Non-ASCII letters (and marks)
    /// belong to parts; other non-ASCII characters, such as a dash or a curly quote, separate them as ASCII
    /// punctuation does.
    static func identifierParts(_ word: ArraySlice<UInt8>) -> [Range<Int>] {
        func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
        func isASCIILetter(_ b: UInt8) -> Bool { isUpper(b) || (b >= 0x61 && b <= 0x7A) }
        var parts: [Range<Int>] = []
        var start: Int?
        var i = word.startIndex
        while i < word.endIndex {
            let b = word[i]
            let width = b < 0x80 ? 1 : min(Self.sequenceLength(lead: b), word.endIndex - i)
            let letter = b < 0x80 ? isASCIILetter(b) : Self.isLetter(word[i..<(i + width)])
            if !letter {
                if let s = start { parts.append(s..<i) }
                start = nil
            } else if let s = start, isUpper(b), i > word.startIndex, !isUpper(word[i - 1]) {
                parts.append(s..<i)
                start = i
            } else if start == nil {
                start = i
            }
            i += width
        }
        if let s = start { parts.append(s..<word.endIndex) }
        return parts.count == 1 && parts[0] == word.startIndex..<word.endIndex ? [] : parts
    }

    /// Bytes in the UTF-8 sequence that `lead` starts (1 for a stray continuation byte).
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC0...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF7: 4
        default: 1
        }
    }

    /// Whether one UTF-8 sequence is a letter or a combining mark (invalid bytes count as letters: they never split).
    private static func isLetter(_ sequence: ArraySlice<UInt8>) -> Bool {
        let scalars = String(decoding: sequence, as: UTF8.self).unicodeScalars
        guard scalars.count == 1, let scalar = scalars.first, scalar != "\u{FFFD}" else { return true }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return scalar.properties.isAlphabetic
        }
    }

    /// Whether `phrase` occurs in `text` between word boundaries and ends after `offset`.
    private static func contains(_ phrase: [UInt8], in text: [UInt8], endingAfter offset: Int) -> Bool {
        guard phrase.count <= text.count else { return false }
        var start = max(0, offset - phrase.count + 1)
        while start + phrase.count <= text.count {
            defer { start += 1 }
            guard text[start] == phrase[0], text[start..<(start + phrase.count)].elementsEqual(phrase) else { continue }
            let end = start + phrase.count
            let before = start == 0 || !ByteVocabulary.isWordByte(text[start - 1])
            let after = end == text.count || !ByteVocabulary.isWordByte(text[end])
            if before && after { return true }
        }
        return false
    }

    static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let first = s.first, first.isWhitespace { s.removeFirst() }
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s
    }
}

/// Tidies a list of completions into one a person would pick from, most probable first:
/// - none completes a blocked word or phrase (when `blockedWords` is set: on by default, a setting turns it off);
/// - none repeats the text just before the cursor (the "the the" and "x = 1; x = 1" of a looping model);
/// - no two show the same text, ignoring white space at either end (`    return` and `        return` after an
///   indented line, ` he` and `he`: the most probable stays).
package struct SuggestionFilter: Sendable {
    package var blockedWords: BlockedWords?

    package init(blockedWords: BlockedWords? = .standard) { self.blockedWords = blockedWords }

    /// The filter with the shipped list, or without any when `blocking` is false.
    package init(blocking: Bool) { self.init(blockedWords: blocking ? .standard : nil) }

    /// How many bytes before the cursor `apply` reads: enough for the longest phrase and a repeated line.
    package static let contextBytes = 256

    /// `completions` sorted most probable first, without the ones a person should not be offered. `before` is the
    /// text before the cursor (its last `contextBytes` suffice).
    package func apply(_ completions: [Completion], before: ArraySlice<UInt8>) -> [Completion] {
        let context = Array(before.suffix(Self.contextBytes))
        var seen = Set<[UInt8]>()
        return completions.sorted { $0.logprob > $1.logprob }.filter { c in
            guard seen.insert(Array(c.bytes[...].trimmingWhitespace())).inserted else { return false }
            if Self.repeatsPrecedingText(c.bytes, before: context) { return false }
            if let blockedWords, blockedWords.blocks(context + c.bytes, from: context.count) { return false }
            return true
        }
    }

    /// Whether `completion` starts a new word and its text (without surrounding white space) is what stands just
    /// before the cursor, from a word boundary on.
    static func repeatsPrecedingText(_ completion: [UInt8], before: [UInt8]) -> Bool {
        let core = completion[...].trimmingWhitespace()
        guard core.contains(where: ByteVocabulary.isWordByte) else { return false }
        if let last = before.last, ByteVocabulary.isWordByte(last), let first = completion.first,
            ByteVocabulary.isWordByte(first)
        {
            return false  // it continues the word being typed
        }
        let tail = before[...].trimmingTrailingWhitespace()
        guard tail.count >= core.count, tail.suffix(core.count).elementsEqual(core) else { return false }
        let start = tail.count - core.count
        return start == 0 || !ByteVocabulary.isWordByte(tail[start - 1]) || !ByteVocabulary.isWordByte(core.first!)
    }
}

extension ArraySlice where Element == UInt8 {
    fileprivate func trimmingLeadingWhitespace() -> ArraySlice<UInt8> {
        var start = startIndex
        while start < endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(self[start]) { start += 1 }
        return self[start..<endIndex]
    }

    /// Without white space at either end: the text a reader sees in a list.
    fileprivate func trimmingWhitespace() -> ArraySlice<UInt8> {
        trimmingLeadingWhitespace().trimmingTrailingWhitespace()
    }

    fileprivate func trimmingTrailingWhitespace() -> ArraySlice<UInt8> {
        var end = endIndex
        while end > startIndex, [0x20, 0x09, 0x0A, 0x0D].contains(self[end - 1]) { end -= 1 }
        return self[startIndex..<end]
    }
}
