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

    /// Sets up glibc's allocator for a long-lived daemon that sees both keystrokes and 10 MB documents. Call it
    /// before a second thread exists: glibc reads the arena cap when another thread first allocates (so `recur`'s
    /// main.swift calls it first).
    /// - At most two malloc arenas. glibc gives each thread that meets a locked arena one of its own, up to 8 per
    ///   core, and memory freed in one cannot serve another: with the reader, the actor's threads and the
    ///   completion workers each in its own, 100 open 100 KB documents held 76 MB resident against 62 MB with two
    ///   (`Benchmarks/serve_bench.py`). Two threads rarely contend: the work between allocations is RNN steps.
    /// - Blocks of 128 KB and more always mapped on their own, so freeing one returns it. By default glibc raises
    ///   that threshold to the size of each mapped block freed (up to 32 MB): after one 10 MB document, texts and
    ///   copies up to 10 MB came from the heap and stayed there (11 MB more resident after the document closed).
    package static func configureAllocator() {
        #if canImport(Glibc)
            _ = glibcMallopt(-8, 2)  // M_ARENA_MAX
            _ = glibcMallopt(-3, 128 * 1024)  // M_MMAP_THRESHOLD (fixed, no longer adjusted)
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

    /// glibc's `mallopt` (the parameters' values are those of <malloc.h>).
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
