import Foundation

/// Training text, split per file: the first part trains, the last `validationFraction` validates.
///
/// Splitting every file (rather than holding out whole files) keeps each domain in both splits, and taking the
/// tail keeps the validation text unseen and contiguous, as nanoGPT's Shakespeare split does.
package struct Corpus: Sendable {
    package struct Document: Sendable {
        package var name: String
        package var train: [UInt8]
        package var validation: [UInt8]
    }

    package enum Error: Swift.Error, CustomStringConvertible {
        case unreadable(String, String)
        case empty
        case tooShort(Int)

        package var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read corpus file \(path): \(reason)"
            case .empty: "the corpus is empty: pass at least one non-empty text file"
            case .tooShort(let needed):
                "the training split has no file of at least \(needed) bytes; use a shorter --seq-len or more text"
            }
        }
    }

    package var documents: [Document]

    package init(documents: [Document]) { self.documents = documents }

    /// Splits each text; `stripSeparators` removes the corpus MANIFEST's `==== FILE: ... ====` lines.
    package init(texts: [(name: String, bytes: [UInt8])], validationFraction: Double, stripSeparators: Bool = false)
        throws(Error)
    {
        let fraction = min(max(validationFraction, 0), 0.9)
        documents = texts.compactMap { item in
            let bytes = stripSeparators ? Self.strippingSeparatorLines(item.bytes) : item.bytes
            guard !bytes.isEmpty else { return nil }
            let cut = bytes.count - Int((Double(bytes.count) * fraction).rounded())
            return Document(name: item.name, train: Array(bytes[..<cut]), validation: Array(bytes[cut...]))
        }
        guard !documents.isEmpty else { throw .empty }
    }

    package init(files: [URL], validationFraction: Double, stripSeparators: Bool = false) throws(Error) {
        var texts: [(String, [UInt8])] = []
        for url in files {
            do {
                texts.append((url.path, [UInt8](try Data(contentsOf: url))))
            } catch {
                throw .unreadable(url.path, error.localizedDescription)
            }
        }
        try self.init(texts: texts, validationFraction: validationFraction, stripSeparators: stripSeparators)
    }

    package var trainBytes: Int { documents.reduce(0) { $0 + $1.train.count } }
    package var validationBytes: Int { documents.reduce(0) { $0 + $1.validation.count } }

    /// Removes lines such as `# ==== FILE: path ====` that mark file boundaries in concatenated corpora.
    static func strippingSeparatorLines(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let line = bytes[lineStart..<lineEnd]
            if !isSeparator(line) {
                out.append(contentsOf: line)
                if lineEnd < bytes.count { out.append(0x0A) }
            }
            lineStart = lineEnd + 1
        }
        return out
    }

    private static func isSeparator(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.count < 4096, let text = String(bytes: line, encoding: .utf8) else { return false }
        let prefixes = ["// ==== FILE: ", "# ==== FILE: ", "<!-- ==== FILE: ", ".. ==== FILE: "]
        guard prefixes.contains(where: text.hasPrefix) else { return false }
        return text.hasSuffix(" ====") || text.hasSuffix(" ==== -->")
    }
}
