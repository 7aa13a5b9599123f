import Foundation

/// What can go wrong with the store, worded for the person who has to fix it.
package enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The file exists but is not an SQLite database (or is damaged beyond opening).
    case notADatabase(path: String)
    /// The directory or file cannot be created or opened (permissions, a read-only file system).
    case cannotOpen(path: String, reason: String)
    /// The file was written by a newer Recur: it has migrations this version does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// Another process held the write lock for longer than the busy timeout.
    case busy(path: String, seconds: Double)
    /// A weight BLOB does not match the sha256 recorded with it.
    case corruptWeights(adapterID: Int64, expected: String, actual: String)
    /// The online layer's BLOB does not match its sha256.
    case corruptOnlineLayer(profile: String, expected: String, actual: String)
    case noSuchAdapter(Int64)
    case noSuchProfile(String)
    case noOnlineLayer(String)
    /// Any other SQLite error, with SQLite's message.
    case sqlite(path: String, message: String)

    package var description: String {
        switch self {
        case .notADatabase(let path):
            "the store at \(path) is not an SQLite database (or is damaged); move it aside or pass another --store"
        case .cannotOpen(let path, let reason): "cannot open the store at \(path): \(reason)"
        case .newerSchema(let path, let unknown):
            "the store at \(path) was written by a newer Recur (unknown migrations: \(unknown.joined(separator: ", "))); "
                + "upgrade Recur or pass another --store"
        case .busy(let path, let seconds):
            "the store at \(path) is locked by another process (busy timeout \(Int(seconds)) s); try again"
        case .corruptWeights(let id, let expected, let actual):
            "adapter \(id) is corrupt: its weights hash to \(actual.prefix(12))…, not the recorded \(expected.prefix(12))…"
                + " (the row is kept for inspection)"
        case .corruptOnlineLayer(let profile, let expected, let actual):
            "the online layer of profile '\(profile)' is corrupt: its weights hash to \(actual.prefix(12))…, not the "
                + "recorded \(expected.prefix(12))…; `recur models rollback \(profile)` drops it"
        case .noOnlineLayer(let name): "profile '\(name)' has no online layer"
        case .noSuchAdapter(let id): "there is no adapter \(id) in the store (see `recur models list`)"
        case .noSuchProfile(let name): "there is no profile named '\(name)' in the store (see `recur models list`)"
        case .sqlite(let path, let message): "store \(path): \(message)"
        }
    }
}
