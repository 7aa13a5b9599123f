/// Which typed text the daemon must never learn: lines that look like they hold a secret. A completion engine that
/// later suggests a user's API key is a security bug, so whole lines are skipped, generously: a line with a key in
/// it teaches nothing worth that risk.
///
/// A line is a secret's when it has
/// - a token with a known key prefix (`AKIA…`, `ghp_…`, `sk-…`, `xoxb-…`, a private key's `-----BEGIN`, …);
/// - a high-entropy token of 20 or more characters: hexadecimal with digits and letters mixed, or one that switches
///   between lower case, upper case, digits and symbols as random text does (identifiers switch far less often);
/// - an assignment to a name like `password`, `secret`, `token` or `api_key` whose value is a literal (a quoted
///   string, or one bare word to the end of the line), as in `.env` files and configuration; `token = lexer.next()`
///   is code, and is learned;
/// - credentials in a URL (`scheme://user:password@host`).
package enum SecretFilter {
    package enum Reason: String, Sendable, Equatable {
        case knownPrefix, highEntropy, sensitiveAssignment, credentialsInURL
    }

    /// Why `line` (one line's bytes, without its newline) looks like it holds a secret, or nil.
    package static func reason(_ line: some Collection<UInt8>) -> Reason? {
        let bytes = Array(line)
        if hasKnownPrefix(bytes) { return .knownPrefix }
        if hasHighEntropyToken(bytes) { return .highEntropy }
        if hasSensitiveAssignment(bytes) { return .sensitiveAssignment }
        if hasCredentialsInURL(bytes) { return .credentialsInURL }
        return nil
    }

    /// The parts of `range` in `bytes` that lie on lines that do not look like secrets (each line judged whole, as
    /// far as `bytes` holds it), in order and merged. A line's newline goes with the line.
    package static func learnableRanges(in bytes: [UInt8], range: Range<Int>) -> [Range<Int>] {
        var kept: [Range<Int>] = []
        var lineStart = range.lowerBound
        while lineStart > 0 && bytes[lineStart - 1] != newline { lineStart -= 1 }
        while lineStart < range.upperBound {
            let contentEnd = bytes[lineStart...].firstIndex(of: newline) ?? bytes.count
            let lineEnd = min(contentEnd + 1, bytes.count)
            let part = max(lineStart, range.lowerBound)..<min(lineEnd, range.upperBound)
            if !part.isEmpty && reason(bytes[lineStart..<contentEnd]) == nil {
                if let last = kept.last, last.upperBound == part.lowerBound {
                    kept[kept.count - 1] = last.lowerBound..<part.upperBound
                } else {
                    kept.append(part)
                }
            }
            lineStart = lineEnd
        }
        return kept
    }

    /// Where context for learning text at `offset` may start: at most `maxBytes` back, and after any line in between
    /// that looks like a secret (a state that read a key would carry it into what is learned).
    package static func contextStart(in bytes: [UInt8], before offset: Int, maxBytes: Int) -> Int {
        let earliest = max(0, offset - maxBytes)
        var start = earliest
        var lineStart = earliest
        while lineStart < offset {
            let contentEnd = bytes[lineStart..<offset].firstIndex(of: newline) ?? offset
            // The line may begin before `earliest`; judge what of it is there, and the rest of it up to `offset`.
            var fullStart = lineStart
            while fullStart > 0 && bytes[fullStart - 1] != newline && lineStart - fullStart < 1024 { fullStart -= 1 }
            let fullEnd = bytes[contentEnd...].firstIndex(of: newline) ?? bytes.count
            if reason(bytes[fullStart..<fullEnd]) != nil { start = min(offset, contentEnd + 1) }
            lineStart = contentEnd + 1
        }
        return min(start, offset)
    }

    // MARK: Rules

    private static let newline = UInt8(ascii: "\n")

    /// Prefixes of well-known credentials, with how many token characters must follow.
    private static let prefixes: [(prefix: [UInt8], tail: Int)] = [
        ("AKIA", 16), ("ASIA", 16), ("ghp_", 20), ("gho_", 20), ("ghu_", 20), ("ghs_", 20), ("ghr_", 20),
        ("github_pat_", 20), ("glpat-", 16), ("xoxb-", 10), ("xoxp-", 10), ("xoxa-", 10), ("xoxr-", 10),
        ("xoxs-", 10), ("xapp-", 10), ("sk-", 20), ("sk_live_", 10), ("sk_test_", 10), ("rk_live_", 10),
        ("pk_live_", 10), ("AIza", 30), ("ya29.", 20), ("npm_", 30), ("hf_", 30), ("SG.", 20), ("shpat_", 20),
        ("shpss_", 20), ("dop_v1_", 20), ("glc_", 20), ("pypi-", 20), ("eyJ", 30),
    ].map { (Array($0.0.utf8), $0.1) }

    private static func isTokenByte(_ b: UInt8) -> Bool {
        isAlphanumeric(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") || b == UInt8(ascii: ".")
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    private static func hasKnownPrefix(_ bytes: [UInt8]) -> Bool {
        if contains(bytes, "-----BEGIN") && contains(bytes, "PRIVATE KEY") { return true }
        for (prefix, tail) in prefixes {
            var i = 0
            while let found = firstIndex(of: prefix, in: bytes, from: i) {
                i = found + 1
                // At a token's start only: `task-…` is not `sk-…`.
                if found > 0 && isAlphanumeric(bytes[found - 1]) { continue }
                var end = found + prefix.count
                while end < bytes.count && isTokenByte(bytes[end]) { end += 1 }
                if end - found - prefix.count >= tail { return true }
            }
        }
        return false
    }

    /// Tokens of 20 or more characters of `[A-Za-z0-9_+/=-]` (a dot ends a token: `a.b.c` paths are not keys).
    private static func hasHighEntropyToken(_ bytes: [UInt8]) -> Bool {
        var start = 0
        while start < bytes.count {
            guard isTokenByte(bytes[start]) && bytes[start] != UInt8(ascii: ".") else {
                start += 1
                continue
            }
            var end = start
            while end < bytes.count && isTokenByte(bytes[end]) && bytes[end] != UInt8(ascii: ".") { end += 1 }
            if end - start >= 20 && looksRandom(bytes[start..<end]) { return true }
            start = end
        }
        return false
    }

    /// Random-looking: hexadecimal with at least two digits and two letters (keys, hashes, UUIDs), or text that
    /// changes character class (lower, upper, digit, symbol) at 40% of its positions or more (random base-62
    /// text: about 60%; camelCase and snake_case identifiers: 10 to 30%), or at 30% with at least four digits.
    private static func looksRandom(_ token: ArraySlice<UInt8>) -> Bool {
        var digits = 0, letters = 0, hexOnly = true, switches = 0
        var previous: Int?
        for b in token {
            let isDigit = b >= 0x30 && b <= 0x39
            let isUpper = b >= 0x41 && b <= 0x5A
            let isLower = b >= 0x61 && b <= 0x7A
            if isDigit { digits += 1 }
            if isUpper || isLower { letters += 1 }
            let isHex = isDigit || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) || b == UInt8(ascii: "-")
            if !isHex { hexOnly = false }
            let kind = isDigit ? 0 : isUpper ? 1 : isLower ? 2 : 3
            if let previous, previous != kind { switches += 1 }
            previous = kind
        }
        if hexOnly && digits >= 2 && letters >= 2 { return true }
        let rate = Double(switches) / Double(token.count - 1)
        return rate >= 0.4 || (rate >= 0.3 && digits >= 4 && letters >= 4)
    }

    private static let sensitiveNames: [[UInt8]] = [
        "password", "passwd", "passphrase", "pwd", "secret", "token", "api_key", "apikey", "api-key",
        "access_key", "accesskey", "private_key", "privatekey", "client_secret", "credential", "auth_key",
    ].map { Array($0.utf8) }

    /// `NAME = literal`, `NAME: literal`, `"NAME": "literal"`, `NAME := literal`, `NAME => literal`, where NAME
    /// contains a sensitive word and the literal is quoted or a single bare word up to the end of the line.
    private static func hasSensitiveAssignment(_ bytes: [UInt8]) -> Bool {
        let lower = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for name in sensitiveNames {
            var from = 0
            while let found = firstIndex(of: name, in: lower, from: from) {
                from = found + 1
                var i = found + name.count
                // The rest of the name, a closing quote, spaces.
                while i < lower.count && (isAlphanumeric(lower[i]) || lower[i] == UInt8(ascii: "_")) { i += 1 }
                if i < lower.count && (lower[i] == UInt8(ascii: "\"") || lower[i] == UInt8(ascii: "'")) { i += 1 }
                while i < lower.count && (lower[i] == 0x20 || lower[i] == 0x09) { i += 1 }
                guard i < lower.count else { continue }
                // The operator: = (not ==), :, :=, =>, <-.
                let op = lower[i]
                let next = i + 1 < lower.count ? lower[i + 1] : 0
                if op == UInt8(ascii: "=") && next == UInt8(ascii: "=") { continue }
                if op == UInt8(ascii: "=") || op == UInt8(ascii: ":") {
                    i += (next == UInt8(ascii: "=") || next == UInt8(ascii: ">")) ? 2 : 1
                } else if op == UInt8(ascii: "<") && next == UInt8(ascii: "-") {
                    i += 2
                } else {
                    continue
                }
                if isLiteral(bytes[i...]) { return true }
            }
        }
        return false
    }

    /// A quoted string, or one bare word (no spaces, brackets or parentheses) up to the end of the line, ignoring a
    /// trailing `;` or `,`.
    private static func isLiteral(_ rest: ArraySlice<UInt8>) -> Bool {
        let trimmed = rest.drop { $0 == 0x20 || $0 == 0x09 }
        guard let first = trimmed.first else { return false }
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") || first == UInt8(ascii: "`") { return true }
        var word = trimmed[...]
        while let last = word.last, [0x20, 0x09, 0x0D, UInt8(ascii: ";"), UInt8(ascii: ",")].contains(last) {
            word = word.dropLast()
        }
        let stops: Set<UInt8> = Set(" \t(){}[]".utf8)
        return !word.isEmpty && !word.contains { stops.contains($0) }
    }

    /// `://user:password@`.
    private static func hasCredentialsInURL(_ bytes: [UInt8]) -> Bool {
        var from = 0
        while let found = firstIndex(of: Array("://".utf8), in: bytes, from: from) {
            from = found + 1
            var i = found + 3, sawColon = false
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "@") { if sawColon && i > found + 3 { return true } else { break } }
                if b == UInt8(ascii: "/") || b == 0x20 || b == 0x09 || b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: ":") { sawColon = true }
                i += 1
            }
        }
        return false
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        firstIndex(of: Array(text.utf8), in: bytes, from: 0) != nil
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count else { return nil }
        var i = start
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
