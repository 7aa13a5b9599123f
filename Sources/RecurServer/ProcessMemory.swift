import Foundation

/// The process's memory, as `recur/status` reports it, and giving freed memory back.
enum ProcessMemory {
    /// Hands freed heap pages back to the system. Parsing a large `didOpen` leaves megabytes of freed JSON that
    /// glibc's allocator would otherwise keep.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            _ = glibcMallocTrim(0)
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
#endif
