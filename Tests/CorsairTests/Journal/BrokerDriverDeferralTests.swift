import Testing

@testable import Corsair

/// A durable broker's driver over a real ROUTER (inproc) and a journal in memory: a quick task's acceptance waits
/// for its result, and both are committed together.
@Suite struct BrokerDriverDeferralTests {
    @Test("a quick task is accepted, started and finished in one commit; its acknowledgement leaves with its result")
    func oneCommitForAQuickTask() throws {
        var rig = try JournalDriverRig("inproc://deferral-quick")
        defer { rig.close() }
        try rig.submit(["a"])
        let now = ContinuousClock.now
        try rig.endPass(at: now)
        #expect(rig.commits.isEmpty, "the acceptance waits for company")
        let early = try rig.replies()
        #expect(early.isEmpty, "and so does its acknowledgement")

        try rig.answerTask()
        try rig.endPass(at: now + .microseconds(500))
        let commits = rig.commits
        #expect(commits.count == 1)
        let kinds = commits.first?.map(\.kind) ?? []
        #expect(kinds == ["accepted", "attemptStarted", "finished"])
        let replies = try rig.replies()
        let hasResults = replies.contains(where: \.isResults)
        #expect(hasResults)
    }

    @Test("a task that is still running has its acceptance committed and acknowledged once the limit has passed")
    func acknowledgedAfterTheLimit() throws {
        var rig = try JournalDriverRig("inproc://deferral-slow")
        defer { rig.close() }
        try rig.submit(["b"])
        let now = ContinuousClock.now
        try rig.endPass(at: now)
        #expect(rig.driver.journal?.deferral.deadline == now + CommitDeferral.limit)
        #expect(rig.commits.isEmpty)
        try rig.endPass(at: now + CommitDeferral.limit)
        #expect(rig.commits.map { $0.map(\.kind) } == [["accepted", "attemptStarted"]])
        let replies = try rig.replies()
        let acknowledged = replies.compactMap(\.acceptedIDs)
        #expect(acknowledged == [["b"]])
    }
}
