import Testing

@testable import Corsair

/// The attached client's bookkeeping: each result reported once across re-attachments, in memory that shrinks as the
/// broker's cursor passes.
@Suite struct ResultCursorTests {
    func keyed(_ keys: [UInt64]) -> [KeyedResult] {
        keys.map {
            KeyedResult(
                key: $0,
                result: TaskResult(
                    id: "t\($0)", category: "a", outcome: .succeeded, attempts: 1, worker: nil, started: nil,
                    finished: 1, output: []))
        }
    }

    func progress(_ cursor: UInt64) -> StreamProgress {
        StreamProgress(cursor: cursor, unfinished: 1, complete: false, more: false)
    }

    @Test("reports results above the cursor once and forgets the keys the cursor passes")
    func reportsOnce() {
        var cursor = ResultCursor()
        #expect(cursor.accept(keyed([3, 5, 4]), progress: progress(0)).map(\.id) == ["t3", "t5", "t4"])
        #expect(cursor.heldKeys == 3)
        #expect(cursor.accept(keyed([5, 6]), progress: progress(4)).map(\.id) == ["t6"])
        #expect(cursor.cursor == 4)
        #expect(cursor.heldKeys == 2, "3 and 4 are below the cursor now")
    }

    @Test("drops a replay after a re-attach up to what it reported, and reports the rest")
    func reattach() {
        var cursor = ResultCursor()
        _ = cursor.accept(keyed([1, 2, 7, 9]), progress: progress(2))
        // The broker restarted; the client attaches again after 2 and is sent everything finished above it.
        let replayed = cursor.accept(keyed([3, 4, 5, 6, 7, 8, 9]), progress: progress(9))
        #expect(replayed.map(\.id) == ["t3", "t4", "t5", "t6", "t8"])
        #expect(cursor.heldKeys == 0)
        #expect(cursor.accept(keyed([1, 9]), progress: progress(9)).isEmpty)
    }

    @Test("never moves the cursor back")
    func cursorOnlyGrows() {
        var cursor = ResultCursor(after: 10)
        #expect(cursor.accept(keyed([10, 11]), progress: progress(3)).map(\.id) == ["t11"])
        #expect(cursor.cursor == 10)
    }
}
