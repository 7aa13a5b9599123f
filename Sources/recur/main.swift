import RecurServer

// First, while this is the only thread: glibc fixes its arena limit when a second thread first allocates.
ProcessMemory.configureAllocator()
await Recur.start()

extension Recur {
    /// ArgumentParser's entry point. Called from top-level code, `Recur.main()` would resolve to the synchronous
    /// overload, which prints help for every async subcommand instead of running it.
    static func start() async { await main() }
}
