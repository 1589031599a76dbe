/// How much of the ROUTER one pass of ``BrokerLoop`` reads before it lets time pass (``BrokerStateMachine/tick(at:)``)
/// and sends what the ``ClientOutbox`` holds: at most ``maxMessages`` messages and, unless told otherwise,
/// ``maxDuration``.
///
/// A count alone did not bound a pass in time. Under a steady load the ROUTER need not run dry: a big client's
/// refills and its workers' results keep arriving while the broker reads, and 10 000 messages of up to 1 000 tasks
/// each are hundreds of milliseconds of work. The results of a client holding fewer than ``ClientOutbox/resultLimit``
/// waited for the pass's end: beside `corsair-bench --late-batch 10 --window 4000`, a 10-task batch had its tasks
/// finished at the broker 7–87 ms after its SUBMIT but received them 27 ms to 1 s after (docs/PERFORMANCE.md).
///
/// A value used by the broker loop's thread only; it reads no clock, so its rules are tested with given instants.
struct PassBudget {
    /// The most messages one pass reads, so that timers run at least that often.
    static let maxMessages = 10_000
    /// The longest one pass reads, so that held results and acknowledgements leave, and timers run, at least that
    /// often under any load.
    static let maxDuration: Duration = .milliseconds(5)

    private var messagesLeft: Int
    private let end: ContinuousClock.Instant?

    /// A budget for a pass that starts at `start`; with `timed` false only the count bounds it.
    init(
        startingAt start: ContinuousClock.Instant,
        timed: Bool = true,
        messages: Int = Self.maxMessages,
        duration: Duration = Self.maxDuration
    ) {
        messagesLeft = messages
        end = timed ? start + duration : nil
    }

    /// Takes one message's read from the budget at `now`.
    ///
    /// - Returns: `false` once the budget is spent: the pass reads no more.
    mutating func allowsRead(at now: ContinuousClock.Instant) -> Bool {
        guard messagesLeft > 0, end.map({ now < $0 }) ?? true else { return false }
        messagesLeft -= 1
        return true
    }
}
