/// A batch session's task ids and the broker's keys for them, for de-duplication.
///
/// Written instead of a `[String: TaskKey]` because the broker adds a task id to it and, once
/// ``BrokerConfiguration/retainFinished`` tasks have finished, removes one for every task it accepts, and the standard
/// dictionary made both cost more than they need to:
/// - it keeps no hashes, so a removal re-hashes (SipHash) every entry it shifts back, and every probe compares strings;
/// - keys and values live in separate arrays, two cache misses where one would do;
/// - a slot costs 24 bytes (a `String` and a key) where 16 do: with a million tasks queued, 11 MB of the broker's RSS.
///
/// Each slot here holds the id's hash and the task's key, 16 bytes, in an open-addressing table with linear probing.
/// The id itself is not stored twice: when hashes match, the caller's task table says which id a key has. Hashes are
/// Swift's seeded SipHash (`Hasher`), so a client cannot choose ids that collide. Removal shifts later entries back
/// using their stored hashes, so the table needs no tombstones.
///
/// Every key in the index must name a task the caller can still look up, until ``remove(_:hash:)`` takes it out.
struct TaskIDIndex {
    private struct Slot {
        /// The id's hash, as ``TaskIDIndex/hash(_:)`` gives it.
        var hash: UInt64
        /// The task's key; 0, which no task has, for an empty slot.
        var key: UInt64
    }

    private var slots: [Slot] = []
    /// How many ids the index holds.
    private(set) var count = 0

    /// The hash to store `id` under and look it up with.
    static func hash(_ id: String) -> UInt64 {
        UInt64(bitPattern: Int64(id.hashValue))
    }

    /// The key of `id`, if the index holds it.
    ///
    /// - Parameter idOf: the id of the task with a key; called only for keys whose hash matches.
    func key(of id: String, hash: UInt64, idOf: (TaskKey) -> String?) -> TaskKey? {
        guard !slots.isEmpty else { return nil }
        let key = slots[slot(of: id, hash: hash, idOf: idOf)].key
        return key == 0 ? nil : TaskKey(rawValue: key)
    }

    /// Adds `id` with `key` unless the index holds `id` already.
    ///
    /// - Returns: the key `id` already had, in which case nothing was added; `nil` when `key` was added.
    mutating func insert(
        _ id: String,
        hash: UInt64,
        key: TaskKey,
        idOf: (TaskKey) -> String?
    ) -> TaskKey? {
        precondition(key.rawValue != 0, "task keys start at 1")
        if (count + 1) * 4 > slots.count * 3 {
            grow()
        }
        let index = slot(of: id, hash: hash, idOf: idOf)
        guard slots[index].key == 0 else { return TaskKey(rawValue: slots[index].key) }
        slots[index] = Slot(hash: hash, key: key.rawValue)
        count += 1
        return nil
    }

    /// Removes the entry for `key`, whose id has `hash`, if the index holds it.
    mutating func remove(_ key: TaskKey, hash: UInt64) {
        guard !slots.isEmpty else { return }
        var hole = slot(from: hash) { $0.key == key.rawValue }
        guard slots[hole].key != 0 else { return }
        let mask = slots.count - 1
        // Shift back each later entry of the run whose home slot does not lie between the hole and itself, so that
        // every entry stays reachable from its home slot without passing an empty one.
        var next = (hole + 1) & mask
        while slots[next].key != 0 {
            let home = Int(truncatingIfNeeded: slots[next].hash) & mask
            if (next - home) & mask >= (next - hole) & mask {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = Slot(hash: 0, key: 0)
        count -= 1
    }

    /// Doubles the table (it starts at 16 slots) and puts every entry back by its stored hash.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: Slot(hash: 0, key: 0), count: max(16, old.count * 2))
        for entry in old where entry.key != 0 {
            let index = slot(from: entry.hash) { _ in false }
            slots[index] = entry
        }
    }

    /// The slot of `id`'s entry, or the empty slot where it would go.
    private func slot(of id: String, hash: UInt64, idOf: (TaskKey) -> String?) -> Int {
        slot(from: hash) { $0.hash == hash && idOf(TaskKey(rawValue: $0.key)) == id }
    }

    /// Walks the run of entries from `hash`'s home slot to the first entry `matches` accepts, or to the empty slot
    /// that ends the run, and returns its index. The table must have slots.
    private func slot(from hash: UInt64, where matches: (Slot) -> Bool) -> Int {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].key != 0, !matches(slots[index]) {
            index = (index + 1) & mask
        }
        return index
    }
}
