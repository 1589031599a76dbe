import Testing

@testable import Corsair

/// The queue-deadline heap on its own: instants are passed in, and the task records say which deadline is current.
@Suite struct QueueDeadlinesTests {
    let t0 = ContinuousClock.now

    @Test("pops waiting tasks past their deadline, earliest first, and clears their deadline")
    func popsExpired() throws {
        let tasks = deadlineTestTable(2, state: .queued)
        let first = try #require(tasks[TaskKey(rawValue: 1)])
        let second = try #require(tasks[TaskKey(rawValue: 2)])
        var deadlines = QueueDeadlines()
        deadlines.start(first, deadline: t0 + .seconds(10))
        deadlines.start(second, deadline: t0 + .seconds(5))
        #expect(deadlines.earliest == t0 + .seconds(5))
        #expect(deadlines.popExpired(at: t0 + .seconds(4), in: tasks) == nil)
        #expect(deadlines.popExpired(at: t0 + .seconds(7), in: tasks) === second)
        #expect(second.queueDeadline == nil)
        #expect(first.queueDeadline == t0 + .seconds(10))
        #expect(deadlines.popExpired(at: t0 + .seconds(7), in: tasks) == nil)
        #expect(deadlines.earliest == t0 + .seconds(10))
    }

    @Test("skips tasks that were dispatched or given a later deadline")
    func skipsStale() throws {
        let tasks = deadlineTestTable(2, state: .queued)
        let dispatched = try #require(tasks[TaskKey(rawValue: 1)])
        let restarted = try #require(tasks[TaskKey(rawValue: 2)])
        var deadlines = QueueDeadlines()
        deadlines.start(dispatched, deadline: t0 + .seconds(10))
        deadlines.start(restarted, deadline: t0 + .seconds(10))
        dispatched.queueDeadline = nil
        dispatched.state = .running
        deadlines.start(restarted, deadline: t0 + .seconds(20))
        #expect(deadlines.count == 3)
        #expect(deadlines.popExpired(at: t0 + .seconds(15), in: tasks) == nil)
        #expect(deadlines.count == 1)
        #expect(deadlines.popExpired(at: t0 + .seconds(20), in: tasks) === restarted)
    }
}
