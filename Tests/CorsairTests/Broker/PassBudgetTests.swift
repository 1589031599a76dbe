import Testing

@testable import Corsair

/// How much one pass of the broker loop reads before timers run and held replies leave.
@Suite struct PassBudgetTests {
    private let start = ContinuousClock.now

    @Test("a pass ends at 5 ms however many messages are still waiting")
    func endsInTime() {
        var budget = PassBudget(startingAt: start)
        var reads = 0
        var now = start
        while budget.allowsRead(at: now) {
            reads += 1
            now += .microseconds(100)
        }
        #expect(reads == 50, "a message every 100 µs: 50 fit in 5 ms")
        #expect(now - start == PassBudget.maxDuration)
    }

    @Test("a pass ends at 10 000 messages however little time they took")
    func endsAtCount() {
        var budget = PassBudget(startingAt: start)
        var reads = 0
        while budget.allowsRead(at: start) {
            reads += 1
        }
        #expect(reads == PassBudget.maxMessages)
        let more = budget.allowsRead(at: start)
        #expect(!more, "a spent budget stays spent")
    }

    @Test("an untimed pass, the one before a lost connection's probe, is bounded by the count alone")
    func untimed() {
        var budget = PassBudget(startingAt: start, timed: false, messages: 3)
        let late = start + .seconds(10)
        let reads = (0..<4).map { _ in budget.allowsRead(at: late) }
        #expect(reads == [true, true, true, false])
    }
}
