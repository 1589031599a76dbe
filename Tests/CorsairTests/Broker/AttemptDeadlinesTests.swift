import Testing

@testable import Corsair

/// The attempt-deadline queues on their own: instants are passed in, and a task table says which attempts still run.
@Suite struct AttemptDeadlinesTests {
    let t0 = ContinuousClock.now

    func entry(_ key: UInt64, attempt: Int = 1, after seconds: Int) -> DeadlineEntry {
        DeadlineEntry(deadline: t0 + .seconds(seconds), token: attemptToken(key, attempt: attempt))
    }

    /// Pops every token expired at `now`, in order.
    func popAll(_ deadlines: inout AttemptDeadlines, at now: ContinuousClock.Instant, in tasks: TaskTable) -> [UInt64] {
        var popped: [UInt64] = []
        while let token = deadlines.popExpired(at: now, in: tasks) {
            popped.append(token.task.rawValue)
        }
        return popped
    }

    @Test("pops expired attempts earliest first across default and own timeouts, and nothing before their deadline")
    func popsInDeadlineOrder() {
        let tasks = deadlineTestTable(3, state: .running)
        var deadlines = AttemptDeadlines()
        deadlines.insertDefault(entry(1, after: 10))
        deadlines.insertDefault(entry(2, after: 20))
        deadlines.insert(entry(3, after: 15))
        #expect(deadlines.count == 3)
        #expect(deadlines.earliest == t0 + .seconds(10))
        #expect(deadlines.popExpired(at: t0 + .seconds(9), in: tasks) == nil)
        #expect(popAll(&deadlines, at: t0 + .seconds(15), in: tasks) == [1, 3])
        #expect(deadlines.earliest == t0 + .seconds(20))
        #expect(popAll(&deadlines, at: t0 + .seconds(30), in: tasks) == [2])
        #expect(deadlines.count == 0)
        #expect(deadlines.earliest == nil)
    }

    @Test("keeps a default deadline that arrives out of order in deadline order")
    func outOfOrderDefault() {
        let tasks = deadlineTestTable(2, state: .running)
        var deadlines = AttemptDeadlines()
        deadlines.insertDefault(entry(1, after: 20))
        deadlines.insertDefault(entry(2, after: 10))
        #expect(deadlines.earliest == t0 + .seconds(10))
        #expect(popAll(&deadlines, at: t0 + .seconds(20), in: tasks) == [2, 1])
    }

    @Test("drops entries of ended attempts from the front, and only those")
    func dropsEnded() throws {
        let tasks = deadlineTestTable(4, state: .running)
        var deadlines = AttemptDeadlines()
        for key in 1...3 {
            deadlines.insertDefault(entry(UInt64(key), after: 10 * key))
        }
        deadlines.insert(entry(4, after: 5))
        let succeeded = try #require(tasks[TaskKey(rawValue: 1)])
        let retried = try #require(tasks[TaskKey(rawValue: 2)])
        let failed = try #require(tasks[TaskKey(rawValue: 4)])
        succeeded.state = .succeeded
        retried.attempts = 2
        failed.state = .failed
        deadlines.dropEnded(in: tasks)
        #expect(deadlines.count == 1)
        #expect(deadlines.earliest == t0 + .seconds(30))
    }

    @Test("skips an ended attempt when popping, and the old attempt's entry does not end a retry")
    func skipsEndedWhenPopping() throws {
        let tasks = deadlineTestTable(2, state: .running)
        var deadlines = AttemptDeadlines()
        deadlines.insertDefault(entry(1, after: 10))
        deadlines.insertDefault(entry(2, after: 20))
        let retried = try #require(tasks[TaskKey(rawValue: 1)])
        retried.attempts = 2
        deadlines.insertDefault(entry(1, attempt: 2, after: 40))
        #expect(popAll(&deadlines, at: t0 + .seconds(30), in: tasks) == [2])
        #expect(deadlines.count == 1)
        #expect(deadlines.popExpired(at: t0 + .seconds(40), in: tasks) == attemptToken(1, attempt: 2))
    }
}
