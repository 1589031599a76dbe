internal import HeapModule

/// What an attached client has reported of a batch's results, in memory that does not grow with the batch: the
/// broker's cursor (every task with a key up to it is finished and was sent) plus the keys above it it has already
/// reported. Those keys leave as the cursor passes them, so they number about the results that finished ahead of the
/// batch's oldest unfinished task, not the whole batch.
///
/// After a reconnect the client attaches again after ``cursor``; the broker sends again the results above it, and
/// ``accept(_:progress:)`` drops those already reported, so each result is reported once per attachment.
public struct ResultCursor: Sendable {
    /// The resume point: every result with a key up to it has been reported.
    public private(set) var cursor: UInt64
    private var reported = Set<UInt64>()
    private var ordered = Heap<UInt64>()

    /// Creates a cursor for a client that has reported nothing after `cursor`.
    public init(after cursor: UInt64 = 0) {
        self.cursor = cursor
    }

    /// How many keys above the cursor are held.
    public var heldKeys: Int { reported.count }

    /// Takes a STREAM's results and progress; returns the results not reported before, in the order they came.
    public mutating func accept(_ results: [KeyedResult], progress: StreamProgress) -> [TaskResult] {
        var fresh: [TaskResult] = []
        fresh.reserveCapacity(results.count)
        for keyed in results where keyed.key > cursor && reported.insert(keyed.key).inserted {
            ordered.insert(keyed.key)
            fresh.append(keyed.result)
        }
        if progress.cursor > cursor {
            cursor = progress.cursor
            while let lowest = ordered.min, lowest <= cursor {
                ordered.removeMin()
                reported.remove(lowest)
            }
        }
        return fresh
    }
}
