import Crypto
import Foundation
import GRDB

/// Recur's SQLite store: base models, profiles, their adapters (fine-tuned weights as safetensors BLOBs) and their
/// online layers (what the daemon learned from typing, above the active adapter: one row per profile).
///
/// The only place that knows GRDB. WAL mode (a `DatabasePool`), a busy timeout, and write transactions that begin
/// IMMEDIATE (GRDB's default for writes), so two processes writing at once wait for each other instead of failing.
/// Migrations are append-only; a file migrated by a newer Recur is refused with a clear error. Every weight BLOB
/// carries its sha256 and is checked when loaded.
package final class ModelStore: Sendable {
    package let path: String
    private let pool: any DatabaseWriter
    /// Set when the store could be opened only for reading (another process held its write lock past the busy
    /// timeout, or it lies on a read-only file system): adapters load, and writes fail with this error.
    package let readOnlyReason: StoreError?
    /// How long a write waits for another process's lock before failing: 10 s, or `RECUR_STORE_BUSY_TIMEOUT`
    /// seconds.
    package static var busyTimeout: TimeInterval {
        ProcessInfo.processInfo.environment["RECUR_STORE_BUSY_TIMEOUT"].flatMap(TimeInterval.init).map { max(0, $0) }
            ?? 10
    }

    /// `$XDG_DATA_HOME/recur/recur.sqlite`, or `~/.local/share/recur/recur.sqlite`.
    package static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            let home = environment["HOME"] ?? NSHomeDirectory()
            base = home + "/.local/share"
        }
        return base + "/recur/recur.sqlite"
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    package init(path: String, busyTimeout: TimeInterval = ModelStore.busyTimeout) throws(StoreError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .cannotOpen(path: path, reason: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "recur.store"
        configuration.prepareDatabase { db in
            // Deleted rows are overwritten, not just unlinked: `forget` must leave no trace of the user's text.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            // Two processes opening a new store at once would both see "no migrations applied" and both try to
            // create the tables (GRDB reads the applied migrations before its migration transaction begins, and
            // a second process failed with "table already exists"). A lock file serialises opening.
            let lock = Self.lockFile(for: path)
            defer { lock.map(Self.unlock) }
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Self.checkSchema(pool, path: path)
            // Migrating takes the write lock even when there is nothing to do; skip it then.
            let applied = try pool.read { db in try Self.migrator.appliedIdentifiers(db) }
            if !Self.migrationNames.isSubset(of: applied) { try Self.migrator.migrate(pool) }
            self.pool = pool
            readOnlyReason = nil
        } catch let error as StoreError {
            throw error
        } catch {
            let failure = Self.translate(error, path: path)
            // Opening for writing fails while another process holds the write lock (GRDB writes when it sets up
            // write-ahead logging) and on a read-only file system; the adapters may still be readable.
            switch failure {
            case .busy, .cannotOpen: break
            default: throw failure
            }
            guard FileManager.default.fileExists(atPath: path) else { throw failure }
            var readOnly = configuration
            readOnly.readonly = true
            // On a read-only file system SQLite cannot create the write-ahead log's index beside the store; the file
            // is then opened as immutable, which nothing can change while the file system stays read-only.
            let folder = (path as NSString).deletingLastPathComponent
            let writableFolder = FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder)
            let immutable =
                "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
            do {
                let queue = try DatabaseQueue(path: writableFolder ? path : immutable, configuration: readOnly)
                try Self.checkSchema(queue, path: path)
                let applied = try queue.read { db in try Self.migrator.appliedIdentifiers(db) }
                guard Self.migrationNames.isSubset(of: applied) else { throw failure }
                pool = queue
                readOnlyReason = failure
            } catch {
                throw failure
            }
        }
    }

    /// Refuses a store migrated by a newer Recur.
    private static func checkSchema(_ reader: some DatabaseReader, path: String) throws {
        let unknown = try reader.read { db in
            try migrator.appliedIdentifiers(db).subtracting(migrationNames).sorted()
        }
        guard unknown.isEmpty else { throw StoreError.newerSchema(path: path, unknownMigrations: unknown) }
    }

    // MARK: Schema

    static let migrationNames: Set<String> = ["v1 base models, profiles, adapters", "v2 online layers"]

    /// Append-only: never edit a registered migration; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 base models, profiles, adapters") { db in
            try db.create(table: "baseModel") { t in
                t.primaryKey("sha256", .text)
                t.column("name", .text).notNull()
                t.column("architecture", .text).notNull()
                t.column("parameters", .integer).notNull()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "profile") { t in
                t.primaryKey("name", .text)
                t.column("activeAdapterId", .integer).references("adapter", column: "id", onDelete: .setNull)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "adapter") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("profile", .text).notNull().indexed().references("profile", onDelete: .cascade)
                t.column("parentId", .integer).references("adapter", onDelete: .setNull)
                t.column("baseSHA256", .text).notNull().references("baseModel")
                t.column("kind", .text).notNull()
                t.column("weights", .blob).notNull()
                t.column("sha256", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.column("corpusFingerprint", .text).notNull()
                t.column("corpusFiles", .text).notNull()
                t.column("hyperparameters", .text).notNull()
                t.column("trainLoss", .double)
                t.column("valLossBefore", .double).notNull()
                t.column("valLoss", .double).notNull()
                t.column("steps", .integer).notNull()
                t.column("seconds", .double).notNull()
                t.column("createdAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v2 online layers") { db in
            try db.create(table: "onlineLayer") { t in
                t.primaryKey("profile", .text).references("profile", onDelete: .cascade)
                // The adapter it was learned above (NULL: the base model); it goes when that adapter goes.
                t.column("adapterId", .integer).references("adapter", onDelete: .cascade)
                t.column("baseSHA256", .text).notNull().references("baseModel")
                t.column("weights", .blob).notNull()
                t.column("sha256", .text).notNull()
                t.column("bytes", .integer).notNull()
                t.column("bytesLearned", .integer).notNull()
                t.column("updates", .integer).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
        }
        return migrator
    }

    // MARK: Reading

    package func profiles() throws(StoreError) -> [ProfileRecord] {
        try read { db in try ProfileRecord.order(Column("name")).fetchAll(db) }
    }

    package func profile(named name: String) throws(StoreError) -> ProfileRecord? {
        try read { db in try ProfileRecord.fetchOne(db, key: name) }
    }

    package func baseModels() throws(StoreError) -> [BaseModelRecord] {
        try read { db in try BaseModelRecord.order(Column("createdAt")).fetchAll(db) }
    }

    /// Adapters, newest first, without their weights.
    package func adapters(profile: String? = nil) throws(StoreError) -> [AdapterInfo] {
        try read { db in
            var request = Table("adapter").select(AdapterInfo.columns)
            if let profile { request = request.filter(Column("profile") == profile) }
            return try AdapterInfo.fetchAll(db, request.order(Column("id").desc))
        }
    }

    package func adapter(id: Int64) throws(StoreError) -> AdapterInfo? {
        try read { db in
            try AdapterInfo.fetchOne(db, Table("adapter").select(AdapterInfo.columns).filter(key: id))
        }
    }

    /// The profile's active adapter, if it has one.
    package func activeAdapter(profile: String) throws(StoreError) -> AdapterInfo? {
        guard let id = try self.profile(named: profile)?.activeAdapterId else { return nil }
        return try adapter(id: id)
    }

    /// The adapter's safetensors bytes, checked against the sha256 stored with them.
    package func weights(adapterID id: Int64) throws(StoreError) -> [UInt8] {
        guard let blob = try weightsBlob(table: "adapter", key: "id", id) else { throw .noSuchAdapter(id) }
        guard blob.actual == blob.expected else {
            throw .corruptWeights(adapterID: id, expected: blob.expected, actual: blob.actual)
        }
        return blob.bytes
    }

    /// A row's `weights` BLOB, the sha256 recorded with it and the sha256 it has.
    private func weightsBlob(table: String, key: String, _ value: some DatabaseValueConvertible & Sendable)
        throws(StoreError) -> (bytes: [UInt8], expected: String, actual: String)?
    {
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT weights, sha256 FROM \(table) WHERE \(key) = ?", arguments: [value])
        }
        guard let row else { return nil }
        let blob: Data = row["weights"]
        return ([UInt8](blob), row["sha256"], Self.sha256(blob))
    }

    /// An adapter of this profile trained from the same base on the same corpus with the same settings.
    package func reusableAdapter(
        profile: String, baseSHA256: String, corpusFingerprint: String, hyperparameters: String
    ) throws(StoreError) -> AdapterInfo? {
        try adapters(profile: profile).first {
            $0.baseSHA256 == baseSHA256 && $0.corpusFingerprint == corpusFingerprint
                && $0.hyperparameters == hyperparameters
        }
    }

    // MARK: Writing

    /// Stores a new adapter (creating its profile and base record as needed) and, when `activate`, makes it the
    /// profile's active adapter, all in one transaction: a process killed at any point leaves either the old state
    /// or the new one.
    @discardableResult
    package func insert(_ new: NewAdapter, activate: Bool) throws(StoreError) -> AdapterInfo {
        let sha = Self.sha256(new.weights)
        let files: String
        do {
            files = String(decoding: try JSONEncoder().encode(new.corpusFiles), as: UTF8.self)
        } catch {
            throw .sqlite(path: path, message: "cannot encode the corpus file list: \(error)")
        }
        let id = try write { db -> Int64 in
            try Self.ensureProfile(new.profile, db)
            if try BaseModelRecord.fetchOne(db, key: new.base.sha256) == nil { try new.base.insert(db) }
            try db.execute(
                sql: """
                    INSERT INTO adapter (profile, parentId, baseSHA256, kind, weights, sha256, bytes, corpusFingerprint,
                        corpusFiles, hyperparameters, trainLoss, valLossBefore, valLoss, steps, seconds, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    new.profile, new.parentId, new.base.sha256, new.kind, Data(new.weights), sha, new.weights.count,
                    new.corpusFingerprint, files, new.hyperparameters, new.trainLoss, new.valLossBefore, new.valLoss,
                    new.steps, new.seconds, Date(),
                ])
            let id = db.lastInsertedRowID
            if activate {
                try db.execute(
                    sql: "UPDATE profile SET activeAdapterId = ? WHERE name = ?", arguments: [id, new.profile])
                try Self.dropStaleOnlineLayer(new.profile, db)
            }
            return id
        }
        guard let info = try adapter(id: id) else { throw .noSuchAdapter(id) }
        return info
    }

    /// Makes an adapter its profile's active one.
    package func activate(adapterID id: Int64) throws(StoreError) {
        try write { db in
            guard
                let profile = try String.fetchOne(db, sql: "SELECT profile FROM adapter WHERE id = ?", arguments: [id])
            else { throw StoreError.noSuchAdapter(id) }
            try db.execute(sql: "UPDATE profile SET activeAdapterId = ? WHERE name = ?", arguments: [id, profile])
            try Self.dropStaleOnlineLayer(profile, db)
        }
    }

    /// Makes the active adapter's parent active (or the base model, when it has none). Returns the new active one.
    @discardableResult
    package func rollback(profile name: String) throws(StoreError) -> AdapterInfo? {
        let newID = try write { db -> Int64? in
            guard let profile = try ProfileRecord.fetchOne(db, key: name) else { throw StoreError.noSuchProfile(name) }
            guard let active = profile.activeAdapterId else { return nil }
            let parent = try Int64.fetchOne(db, sql: "SELECT parentId FROM adapter WHERE id = ?", arguments: [active])
            try db.execute(sql: "UPDATE profile SET activeAdapterId = ? WHERE name = ?", arguments: [parent, name])
            try Self.dropStaleOnlineLayer(name, db)
            return parent
        }
        guard let newID else { return nil }
        return try adapter(id: newID)
    }

    /// Deletes one adapter. If it was active, its parent becomes active; its children keep their weights.
    package func delete(adapterID id: Int64) throws(StoreError) {
        try write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT profile, parentId FROM adapter WHERE id = ?", arguments: [id])
            else { throw StoreError.noSuchAdapter(id) }
            let profile: String = row["profile"]
            let parent: Int64? = row["parentId"]
            try db.execute(
                sql: "UPDATE profile SET activeAdapterId = ? WHERE name = ? AND activeAdapterId = ?",
                arguments: [parent, profile, id])
            try db.execute(sql: "DELETE FROM adapter WHERE id = ?", arguments: [id])
            try Self.dropStaleOnlineLayer(profile, db)
        }
    }

    /// Removes a profile and all its adapters, then rebuilds the file (VACUUM) and truncates the write-ahead log,
    /// so that nothing learned from the user's text remains in either. Returns how many adapters were removed.
    @discardableResult
    package func forget(profile name: String) throws(StoreError) -> Int {
        let removed = try write { db -> Int in
            guard try ProfileRecord.fetchOne(db, key: name) != nil else { throw StoreError.noSuchProfile(name) }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM adapter WHERE profile = ?", arguments: [name])
            try db.execute(sql: "UPDATE profile SET activeAdapterId = NULL WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM onlineLayer WHERE profile = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM adapter WHERE profile = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM profile WHERE name = ?", arguments: [name])
            return count ?? 0
        }
        if let readOnlyReason { throw readOnlyReason }
        do {
            try pool.vacuum()
            _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch {
            throw Self.translate(error, path: path)
        }
        return removed
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    package func integrityCheck() throws(StoreError) -> String {
        try read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
        }
    }

    // MARK: Online layers

    /// The profile's online layer, without its weights.
    package func onlineLayer(profile: String) throws(StoreError) -> OnlineLayerInfo? {
        try read { db in
            try OnlineLayerInfo.fetchOne(
                db, Table("onlineLayer").select(OnlineLayerInfo.columns).filter(Column("profile") == profile))
        }
    }

    package func onlineLayers() throws(StoreError) -> [OnlineLayerInfo] {
        try read { db in
            try OnlineLayerInfo.fetchAll(
                db, Table("onlineLayer").select(OnlineLayerInfo.columns).order(Column("profile")))
        }
    }

    /// The online layer's safetensors bytes, checked against their sha256.
    package func onlineLayerWeights(profile: String) throws(StoreError) -> [UInt8] {
        guard let blob = try weightsBlob(table: "onlineLayer", key: "profile", profile) else {
            throw .noOnlineLayer(profile)
        }
        guard blob.actual == blob.expected else {
            throw .corruptOnlineLayer(profile: profile, expected: blob.expected, actual: blob.actual)
        }
        return blob.bytes
    }

    /// What saving an online layer did.
    package enum OnlineLayerSave: Sendable, Equatable {
        case saved
        /// The profile's active adapter is no longer the one the layer was learned above: nothing written.
        case staleAdapter
        /// The layer this writer loaded or saved before is gone (rolled back or forgotten): nothing written.
        case dropped
    }

    /// Replaces the profile's online layer in place (one row per profile; the last writer wins), in one
    /// transaction. It is stored only while the adapter it was learned above is still the profile's active one
    /// (the base model: none), and, when `replacingOnly` (the writer loaded or saved a layer before), only while a
    /// layer is still there: one that `recur models rollback` or `forget` removed is not brought back.
    @discardableResult
    package func saveOnlineLayer(_ layer: NewOnlineLayer, replacingOnly: Bool = false) throws(StoreError)
        -> OnlineLayerSave
    {
        let sha = Self.sha256(layer.weights)
        return try write { db -> OnlineLayerSave in
            let exists =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM onlineLayer WHERE profile = ?", arguments: [layer.profile])
                ?? 0 > 0
            if replacingOnly && !exists { return .dropped }
            try Self.ensureProfile(layer.profile, db)
            let active = try Int64.fetchOne(
                db, sql: "SELECT activeAdapterId FROM profile WHERE name = ?", arguments: [layer.profile])
            guard active == layer.adapterId else { return .staleAdapter }
            if try BaseModelRecord.fetchOne(db, key: layer.base.sha256) == nil { try layer.base.insert(db) }
            try db.execute(
                sql: """
                    INSERT INTO onlineLayer (profile, adapterId, baseSHA256, weights, sha256, bytes, bytesLearned,
                        updates, updatedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (profile) DO UPDATE SET adapterId = excluded.adapterId,
                        baseSHA256 = excluded.baseSHA256, weights = excluded.weights, sha256 = excluded.sha256,
                        bytes = excluded.bytes, bytesLearned = excluded.bytesLearned, updates = excluded.updates,
                        updatedAt = excluded.updatedAt
                    """,
                arguments: [
                    layer.profile, layer.adapterId, layer.base.sha256, Data(layer.weights), sha, layer.weights.count,
                    layer.bytesLearned, layer.updates, Date(),
                ])
            return .saved
        }
    }

    /// Removes the profile's online layer; returns what it was.
    @discardableResult
    package func dropOnlineLayer(profile: String) throws(StoreError) -> OnlineLayerInfo? {
        guard let layer = try onlineLayer(profile: profile) else { return nil }
        try write { db in try db.execute(sql: "DELETE FROM onlineLayer WHERE profile = ?", arguments: [profile]) }
        return layer
    }

    // MARK: Helpers

    /// An exclusive `flock` on `PATH.lock`, held while the store is opened and migrated. Nil when the lock file
    /// cannot be created (a read-only place): opening then goes on unserialised.
    private static func lockFile(for path: String) -> Int32? {
        let fd = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR {
                close(fd)
                return nil
            }
        }
        return fd
    }

    private static func unlock(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    /// An online layer belongs above the adapter it was learned on: when the profile's active adapter changes, the
    /// layer goes (`recur adapt` starts from it, so an improved adapter has learned what it held).
    private static func dropStaleOnlineLayer(_ profile: String, _ db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM onlineLayer WHERE profile = ?
                    AND adapterId IS NOT (SELECT activeAdapterId FROM profile WHERE name = ?)
                """, arguments: [profile, profile])
    }

    private static func ensureProfile(_ name: String, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO profile (name, activeAdapterId, createdAt) VALUES (?, NULL, ?) ON CONFLICT DO NOTHING",
            arguments: [name, Date()])
    }

    private func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        if let readOnlyReason { throw readOnlyReason }
        do {
            return try pool.write(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    static func translate(_ error: any Error, path: String) -> StoreError {
        guard let error = error as? DatabaseError else {
            return .sqlite(path: path, message: String(describing: error))
        }
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT: return .notADatabase(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(path: path, seconds: busyTimeout)
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH:
            // SQLite says only "unable to open database file"; say why, when the file system can tell.
            let folder = (path as NSString).deletingLastPathComponent
            let reason = error.message ?? "\(error.resultCode)"
            if !FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) {
                return .cannotOpen(
                    path: path,
                    reason: "\(reason): its folder \(folder) is not writable (a read-only file system or "
                        + "permissions), and SQLite's write-ahead log needs to write beside the store")
            }
            return .cannotOpen(path: path, reason: reason)
        default: return .sqlite(path: path, message: error.message ?? "\(error)")
        }
    }

    package static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
