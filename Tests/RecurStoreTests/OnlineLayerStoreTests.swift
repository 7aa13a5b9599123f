import Foundation
import GRDB
import RecurModel
import Testing

@testable import RecurStore

func sampleLayer(profile: String, above adapter: Int64?, weights: [UInt8], bytesLearned: Int = 100) -> NewOnlineLayer {
    NewOnlineLayer(
        profile: profile, adapterId: adapter,
        base: BaseModelRecord(sha256: "b0", name: "base", architecture: "lstm", parameters: 10), weights: weights,
        bytesLearned: bytesLearned, updates: bytesLearned / 100)
}

/// The online layer: one row per profile, replaced in place, above the active adapter only.
@Suite struct OnlineLayerStoreTests {
    @Test func oneRowPerProfileReplacedInPlace() throws {
        let store = try ModelStore(path: temporaryStorePath())
        #expect(try store.saveOnlineLayer(sampleLayer(profile: "p", above: nil, weights: [1, 2, 3])) == .saved)
        #expect(
            try store.saveOnlineLayer(
                sampleLayer(profile: "p", above: nil, weights: [4, 5], bytesLearned: 900), replacingOnly: true)
                == .saved)
        #expect(try store.onlineLayers().count == 1)
        let layer = try #require(try store.onlineLayer(profile: "p"))
        #expect(layer.bytesLearned == 900 && layer.updates == 9 && layer.adapterId == nil)
        #expect(try store.onlineLayerWeights(profile: "p") == [4, 5])
        #expect(try store.dropOnlineLayer(profile: "p")?.bytesLearned == 900)
        #expect(try store.onlineLayer(profile: "p") == nil)
        #expect(try store.dropOnlineLayer(profile: "p") == nil)
        // A writer that had a layer does not bring back one that was dropped.
        #expect(
            try store.saveOnlineLayer(sampleLayer(profile: "p", above: nil, weights: [6]), replacingOnly: true)
                == .dropped)
        #expect(try store.onlineLayer(profile: "p") == nil)
    }

    /// A layer learned above an adapter that is no longer active is not saved, and changing the active adapter
    /// (adapting, activating, rolling back, deleting) drops the layer that sat above the old one.
    @Test func aLayerBelongsToTheActiveAdapter() throws {
        let store = try ModelStore(path: temporaryStorePath())
        let first = try store.insert(sampleAdapter(profile: "p", weights: [1]), activate: true)
        #expect(try store.saveOnlineLayer(sampleLayer(profile: "p", above: nil, weights: [7])) == .staleAdapter)
        #expect(try store.saveOnlineLayer(sampleLayer(profile: "p", above: first.id, weights: [7])) == .saved)
        let second = try store.insert(sampleAdapter(profile: "p", parent: first.id, weights: [2]), activate: true)
        #expect(try store.onlineLayer(profile: "p") == nil)
        #expect(try store.saveOnlineLayer(sampleLayer(profile: "p", above: second.id, weights: [8])) == .saved)
        try store.rollback(profile: "p")
        #expect(try store.onlineLayer(profile: "p") == nil)
        #expect(try store.saveOnlineLayer(sampleLayer(profile: "p", above: first.id, weights: [9])) == .saved)
        try store.activate(adapterID: first.id)  // the same adapter: the layer stays
        #expect(try store.onlineLayer(profile: "p") != nil)
        try store.delete(adapterID: first.id)
        #expect(try store.onlineLayer(profile: "p") == nil)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func aCorruptLayerIsDetected() throws {
        let path = temporaryStorePath()
        let store = try ModelStore(path: path)
        try store.saveOnlineLayer(sampleLayer(profile: "p", above: nil, weights: [1, 2, 3, 4]))
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE onlineLayer SET weights = X'01020305'") }
        #expect(throws: StoreError.self) { try store.onlineLayerWeights(profile: "p") }
    }

    @Test func forgetRemovesTheLayerWithNoTrace() throws {
        let path = temporaryStorePath()
        let store = try ModelStore(path: path)
        let marker = [UInt8]("ONLINE-LAYER-OF-THE-DIARY".utf8) + [UInt8](repeating: 5, count: 4000)
        try store.saveOnlineLayer(sampleLayer(profile: "diary", above: nil, weights: marker))
        try store.saveOnlineLayer(sampleLayer(profile: "work", above: nil, weights: [1]))
        func fileContains(_ needle: String) -> Bool {
            ["", "-wal"].contains { suffix in
                (try? Data(contentsOf: URL(fileURLWithPath: path + suffix)))?.range(of: Data(needle.utf8)) != nil
            }
        }
        #expect(fileContains("ONLINE-LAYER-OF-THE-DIARY"))
        try store.forget(profile: "diary")
        #expect(!fileContains("ONLINE-LAYER-OF-THE-DIARY"))
        #expect(try store.onlineLayer(profile: "diary") == nil)
        #expect(try store.onlineLayer(profile: "work") != nil)
    }

    /// Two writers saving the same profile's layer in turn: the last one wins and the file stays sound.
    @Test func twoWritersOnOneProfileTakeTurns() async throws {
        let path = temporaryStorePath()
        let a = try ModelStore(path: path), b = try ModelStore(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [a, b].enumerated() {
                group.addTask {
                    for i in 0..<30 {
                        try store.saveOnlineLayer(
                            sampleLayer(
                                profile: "shared", above: nil, weights: Array(repeating: UInt8(index), count: 50_000),
                                bytesLearned: i))
                    }
                }
            }
            try await group.waitForAll()
        }
        try b.saveOnlineLayer(sampleLayer(profile: "shared", above: nil, weights: [42], bytesLearned: 7))
        #expect(try a.onlineLayerWeights(profile: "shared") == [42])
        #expect(try a.onlineLayers().count == 1)
        #expect(try a.integrityCheck() == "ok")
    }
}
