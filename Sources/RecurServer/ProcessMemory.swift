import Foundation

/// The process's memory, as `recur/status` reports it, and giving freed memory back.
package enum ProcessMemory {
    /// Hands freed heap pages back to the system. Parsing a large `didOpen` leaves megabytes of freed JSON that
    /// glibc's allocator would otherwise keep.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            _ = glibcMallocTrim(0)
        #endif
    }

    /// Caps glibc's malloc arenas at two. Call it before a second thread exists: glibc reads the cap when another
    /// thread first allocates (so `recur`'s main.swift calls it first). glibc gives each new thread that
    /// meets a locked arena one of its own, up to 8 per core, and freed memory in one arena cannot serve another:
    /// with the reader, the actor's threads and the completion workers each in their own arena, 100 open 100 KB
    /// documents held 77 MB resident against 62 MB with two arenas (`Benchmarks/serve_bench.py`). Two threads
    /// rarely contend: the work between allocations is RNN steps.
    package static func limitArenas() {
        #if canImport(Glibc)
            _ = glibcMallopt(-8, 2)  // M_ARENA_MAX
        #endif
    }

    /// The resident set size, from /proc/self/statm; 0 where that cannot be read.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

#if canImport(Glibc)
    /// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export).
    @_silgen_name("malloc_trim")
    private func glibcMallocTrim(_ pad: Int) -> Int32

    /// glibc's `mallopt`, for `M_ARENA_MAX` (-8 in <malloc.h>).
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
