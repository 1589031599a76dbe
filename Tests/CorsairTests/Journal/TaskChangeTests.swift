import Testing

@testable import Corsair

/// A fold's records about tasks from earlier folds, merged into one change per task.
@Suite struct TaskChangeTests {
    @Test("each task's records merge into its last state, its history lines in order, in the order tasks first appear")
    func merged() {
        let finished = FinishedTask(
            key: 4, outcome: .failed, output: Array("boom".utf8), attempts: 2, finished: 90, lastError: "boom")
        let changes = TaskChange.folding([
            .attemptStarted(key: 4, attempt: 1, worker: "w1", started: 10),
            .attemptStarted(key: 2, attempt: 1, worker: "w2", started: 11),
            .attemptEnded(key: 4, attempts: 1, reason: "lost", historyLine: "attempt 1 on w1: lost"),
            .attemptStarted(key: 4, attempt: 2, worker: "w3", started: 50),
            .attemptEnded(key: 2, attempts: 0, reason: "given back", historyLine: nil),
            .finished(finished),
        ])
        #expect(changes.map(\.key) == [4, 2])
        let four = changes[0]
        #expect(four.state == JournaledTask.State.failed.rawValue && four.attempts == 2)
        #expect(four.started?.worker == "w3" && four.started?.at == 50)
        #expect(four.setsLastError && four.lastError == "boom" && four.finished == finished)
        #expect(four.history == ["attempt 1 on w1: lost"])
        let two = changes[1]
        #expect(two.state == JournaledTask.State.queued.rawValue && two.attempts == 0)
        #expect(two.started?.worker == "w2" && two.setsLastError && two.lastError == "given back")
        #expect(two.history.isEmpty && two.finished == nil)
    }

    @Test("a start alone leaves the stored error as it is")
    func startKeepsError() {
        let change = TaskChange.folding([.attemptStarted(key: 1, attempt: 3, worker: "w", started: 5)])
        #expect(change.first?.setsLastError == false && change.first?.state == JournaledTask.State.running.rawValue)
    }
}
