import CorsairTestSupport
import Testing

@testable import Corsair

/// The de-duplication index against a plain dictionary as the model, with hashes chosen to collide.
@Suite struct TaskIDIndexTests {
    /// Stands in for the broker's task table: which id each key has.
    final class Names {
        var byKey: [TaskKey: String] = [:]
    }

    let names = Names()
    var index = TaskIDIndex()

    mutating func insert(_ id: String, key: UInt64, hash: UInt64? = nil) -> TaskKey? {
        let names = self.names
        let known = index.insert(id, hash: hash ?? TaskIDIndex.hash(id), key: TaskKey(rawValue: key)) {
            names.byKey[$0]
        }
        if known == nil {
            names.byKey[TaskKey(rawValue: key)] = id
        }
        return known
    }

    func key(of id: String, hash: UInt64? = nil) -> TaskKey? {
        index.key(of: id, hash: hash ?? TaskIDIndex.hash(id)) { names.byKey[$0] }
    }

    @Test("finds each id it holds and no other, across growth")
    mutating func findsAcrossGrowth() {
        for number in 1...10_000 {
            #expect(insert("task-\(number)", key: UInt64(number)) == nil)
        }
        #expect(index.count == 10_000)
        var wrong = 0
        for number in 1...10_000 where key(of: "task-\(number)") != TaskKey(rawValue: UInt64(number)) {
            wrong += 1
        }
        #expect(wrong == 0)
        #expect(key(of: "task-0") == nil)
        #expect(key(of: "task-10001") == nil)
    }

    @Test("answers a duplicate id with the key it has and adds nothing")
    mutating func duplicate() {
        #expect(insert("a", key: 1) == nil)
        #expect(insert("a", key: 2) == TaskKey(rawValue: 1))
        #expect(index.count == 1)
        #expect(key(of: "a") == TaskKey(rawValue: 1))
    }

    @Test("tells ids with the same hash apart by the task table")
    mutating func equalHashes() {
        #expect(insert("first", key: 1, hash: 42) == nil)
        #expect(insert("second", key: 2, hash: 42) == nil)
        #expect(key(of: "first", hash: 42) == TaskKey(rawValue: 1))
        #expect(key(of: "second", hash: 42) == TaskKey(rawValue: 2))
        #expect(insert("second", key: 3, hash: 42) == TaskKey(rawValue: 2))
        #expect(key(of: "third", hash: 42) == nil)
    }

    @Test("keeps every remaining id reachable while colliding entries are removed in random order")
    mutating func removalsAgainstModel() throws {
        var random = SplitMix64(seed: 0x5eed)
        var model: [String: (key: TaskKey, hash: UInt64)] = [:]
        var live: [String] = []
        var nextKey: UInt64 = 1
        var mismatches = 0
        for step in 0..<10_000 {
            // Hashes from two small ranges, at the bottom and the top of the table: entries collide, runs wrap past
            // the table's end, and removals shift entries back across it. The size swings between phases that mostly
            // add and phases that mostly remove, so the table also grows with entries in it.
            let adding = (step / 2_000) % 2 == 0
            if model.isEmpty || (model.count < 400 && random.next() % 3 < (adding ? 2 : 1)) {
                let id = "id-\(step)"
                let offset = random.next() % 24
                let hash = random.next() % 2 == 0 ? offset : UInt64.max - offset
                if insert(id, key: nextKey, hash: hash) == nil {
                    model[id] = (TaskKey(rawValue: nextKey), hash)
                    live.append(id)
                }
                nextKey += 1
            } else {
                let position = Int(random.next() % UInt64(live.count))
                live.swapAt(position, live.count - 1)
                let victim = live.removeLast()
                let removed = model.removeValue(forKey: victim)
                let entry = try #require(removed)
                index.remove(entry.key, hash: entry.hash)
                names.byKey[entry.key] = nil
                if key(of: victim, hash: entry.hash) != nil {
                    mismatches += 1
                }
            }
            if step % 101 == 0 {
                for (id, entry) in model where key(of: id, hash: entry.hash) != entry.key {
                    mismatches += 1
                }
            }
        }
        #expect(mismatches == 0)
        #expect(index.count == model.count)
    }

    @Test("ignores the removal of a key it does not hold")
    mutating func removeUnknown() {
        index.remove(TaskKey(rawValue: 7), hash: 3)
        #expect(insert("a", key: 1, hash: 3) == nil)
        index.remove(TaskKey(rawValue: 7), hash: 3)
        #expect(index.count == 1)
        #expect(key(of: "a", hash: 3) == TaskKey(rawValue: 1))
    }
}
