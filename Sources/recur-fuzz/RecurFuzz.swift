import Foundation
import RecurFuzzing

#if FUZZING
    import CFuzzerDriver
#endif

/// `recur-fuzz TARGET [libFuzzer options] [CORPUS...]`.
///
/// Built by `make fuzz` with `-sanitize=fuzzer,address -DFUZZING`, it hands the rest of the command line to
/// libFuzzer. Built normally, it replays files or folders of inputs through the target (what a crash reproducer
/// needs without a sanitizer build): `recur-fuzz edits crash-1234`.
@main
struct RecurFuzz {
    nonisolated(unsafe) static var target = FuzzTarget.framing
    static let targetVariable = "RECUR_FUZZ_TARGET"

    static func main() {
        var arguments = CommandLine.arguments
        // libFuzzer reruns this program for -merge, -fork and -jobs with the options it was given, without the
        // target name: the environment carries it to those child processes.
        if arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) {
            Self.target = target
            arguments.remove(at: 1)
            setenv(Self.targetVariable, target.rawValue, 1)
        } else if let name = ProcessInfo.processInfo.environment[Self.targetVariable],
            let target = FuzzTarget(rawValue: name)
        {
            Self.target = target
        } else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: recur-fuzz \(names) [options] [corpus or input ...]\n".utf8))
            exit(2)
        }
        let target = Self.target
        #if FUZZING
            var argc = CInt(arguments.count)
            var cArguments = arguments.map { strdup($0) } + [nil]
            let status = cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
                var argv = buffer.baseAddress
                return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    RecurFuzz.target.run(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                }
            }
            exit(status)
        #else
            var count = 0
            for path in arguments.dropFirst() {
                for file in Self.files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else { continue }
                    target.run([UInt8](data))
                    count += 1
                }
            }
            FileHandle.standardError.write(Data("\(target.rawValue): \(count) inputs replayed, no failure\n".utf8))
        #endif
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
