import Testing

@testable import Corsair

/// When a durable broker leaves a pass's records for a later pass's commit.
@Suite struct CommitDeferralTests {
    private let start = ContinuousClock.now

    /// Replies that say whether they were looked through.
    private final class Replies {
        var asked = false

        func onlyAcknowledgements() -> Bool {
            asked = true
            return true
        }
    }

    @Test("a few records that only acknowledgements wait for wait until the first such pass's end plus the limit")
    func waitsFromTheFirstPass() {
        var deferral = CommitDeferral()
        #expect(deferral.deadline == nil)
        let first = deferral.defers(records: 2, onlyAcknowledgements: true, at: start)
        #expect(first)
        #expect(deferral.deadline == start + CommitDeferral.limit)
        let second = deferral.defers(records: 4, onlyAcknowledgements: true, at: start + CommitDeferral.limit / 2)
        #expect(second)
        #expect(deferral.deadline == start + CommitDeferral.limit, "a later pass does not push the commit back")
        let due = deferral.defers(records: 6, onlyAcknowledgements: true, at: start + CommitDeferral.limit)
        #expect(!due)
        #expect(deferral.deadline == nil)
        let next = deferral.defers(records: 2, onlyAcknowledgements: true, at: start + CommitDeferral.limit)
        #expect(next, "the next records start a wait of their own")
    }

    @Test("a result, a stream or a receipt waiting commits at once, as do more records than the limit")
    func commitsAtOnce() {
        var deferral = CommitDeferral()
        let first = deferral.defers(records: 2, onlyAcknowledgements: true, at: start)
        #expect(first)
        let withResult = deferral.defers(records: 3, onlyAcknowledgements: false, at: start)
        #expect(!withResult)
        #expect(deferral.deadline == nil)
        let replies = Replies()
        let many = deferral.defers(
            records: CommitDeferral.maxRecords + 1, onlyAcknowledgements: replies.onlyAcknowledgements(), at: start)
        #expect(!many)
        #expect(!replies.asked, "the replies are not looked through when the records alone decide")
    }
}
