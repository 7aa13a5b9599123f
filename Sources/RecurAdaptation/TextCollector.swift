import Foundation
import RecurStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One text file chosen for adaptation.
package struct CollectedText: Sendable {
    package var path: String
    package var bytes: [UInt8]

    package init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    package var corpusFile: CorpusFile {
        CorpusFile(path: path, sha256: ModelStore.sha256(bytes), bytes: bytes.count)
    }
}

/// Gathers the user's text files from files and directories: skips binaries and files over a size limit, and
/// inside a git repository lists only what git would track (honouring every `.gitignore`), via `git ls-files`.
package struct TextCollector: Sendable {
    /// Files larger than this are skipped (generated files, logs and dumps teach the model little).
    package var maxFileBytes = 1 << 20
    /// Collection stops once this much text is gathered.
    package var maxTotalBytes = 64 << 20

    package init() {}

    package struct Result: Sendable {
        package var texts: [CollectedText] = []
        /// Files passed over, with the reason.
        package var skipped: [(path: String, reason: String)] = []
        package var totalBytes: Int { texts.reduce(0) { $0 + $1.bytes.count } }
    }

    package func collect(_ paths: [String]) -> Result {
        var result = Result()
        var seen = Set<String>()
        for path in paths {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                result.skipped.append((path, "does not exist"))
                continue
            }
            let files = isDirectory.boolValue ? listDirectory(url) : [url]
            for file in files where seen.insert(file.path).inserted {
                if result.totalBytes >= maxTotalBytes {
                    result.skipped.append((file.path, "over the total limit of \(maxTotalBytes) bytes"))
                    continue
                }
                add(file, to: &result)
            }
        }
        result.texts.sort { $0.path < $1.path }
        return result
    }

    private func add(_ url: URL, to result: inout Result) {
        // stat(2), not FileManager's attributes: those also look up the owner's name, which asks nscd over a
        // socket (see ChildProcess on why no socket is opened).
        var info = stat()
        let size = stat(url.path, &info) == 0 ? Int(info.st_size) : 0
        guard size <= maxFileBytes else {
            result.skipped.append((url.path, "larger than \(maxFileBytes) bytes"))
            return
        }
        guard let data = try? Data(contentsOf: url) else {
            result.skipped.append((url.path, "unreadable"))
            return
        }
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { return }
        guard Self.looksLikeText(bytes) else {
            result.skipped.append((url.path, "binary (NUL bytes or invalid UTF-8)"))
            return
        }
        result.texts.append(CollectedText(path: url.path, bytes: bytes))
    }

    /// Text is valid UTF-8 without NUL bytes.
    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
    }

    /// The regular files under a directory: git's view of it inside a repository, else a walk that skips hidden
    /// files and directories.
    func listDirectory(_ directory: URL) -> [URL] {
        if let listed = Self.gitListFiles(directory) { return listed }
        guard
            let walker = FileManager.default.enumerator(
                at: directory, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var files: [URL] = []
        for case let url as URL in walker
        where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            files.append(url.standardizedFileURL)
        }
        return files.sorted { $0.path < $1.path }
    }

    /// `git ls-files --cached --others --exclude-standard` run in the directory: tracked and untracked files that
    /// no ignore rule excludes. Nil when the directory is not in a git work tree or git is not installed.
    static func gitListFiles(_ directory: URL) -> [URL]? {
        guard
            let (status, data) = ChildProcess.output(
                "git", ["-C", directory.path, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]),
            status == 0
        else { return nil }
        return data.split(separator: 0).compactMap { name in
            let url = directory.appendingPathComponent(String(decoding: name, as: UTF8.self)).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { return nil }  // deleted but still in the index, or a submodule
            return url
        }.sorted { $0.path < $1.path }
    }

    /// A digest of the corpus: the sorted paths and content hashes. Equal fingerprints mean the same text.
    package static func fingerprint(_ files: [CorpusFile]) -> String {
        let lines = files.sorted { $0.path < $1.path }.map { "\($0.path)\u{0}\($0.sha256)\n" }.joined()
        return ModelStore.sha256(Array(lines.utf8))
    }
}
