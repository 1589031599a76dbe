import Testing

@testable import Corsair

@Suite struct ScheduledTasksTests {
    @Test("releases held tasks in not-before order, only once due, skipping ones no longer scheduled")
    func order() throws {
        let t0 = ContinuousClock.now
        let table = deadlineTestTable(3, state: .scheduled)
        var scheduled = ScheduledTasks()
        for (key, seconds) in [(1, 30), (2, 10), (3, 20)] {
            let task = try #require(table[TaskKey(rawValue: UInt64(key))])
            scheduled.hold(task, until: t0 + .seconds(seconds))
        }
        #expect(scheduled.earliest == t0 + .seconds(10))
        #expect(scheduled.popDue(at: t0 + .seconds(9), in: table) == nil)
        table[TaskKey(rawValue: 3)]?.state = .cancelled
        #expect(scheduled.popDue(at: t0 + .seconds(25), in: table)?.key.rawValue == 2)
        #expect(scheduled.popDue(at: t0 + .seconds(25), in: table) == nil)
        #expect(scheduled.popDue(at: t0 + .seconds(30), in: table)?.key.rawValue == 1)
        #expect(scheduled.count == 0)
    }
}
