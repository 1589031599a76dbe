/// Hands freed heap memory back to the kernel once a busy process goes quiet.
///
/// glibc keeps memory freed after a burst (a million-task submission leaves a quarter of a gigabyte of it in the
/// broker) for reuse, so resident memory stays at the burst's peak. `malloc_trim` returns it; it walks the heap, so
/// it runs only after activity, when the loop has been idle, and at most every ``interval``.
struct HeapTrimmer {
    /// The least time between two trims.
    var interval: Duration = .seconds(5)
    private var lastTrim = ContinuousClock.now
    private var active = false

    /// Notes that the process did work since the last trim.
    mutating func noteActivity() {
        active = true
    }

    /// Trims if there was activity, the loop is idle now, and the interval has passed.
    mutating func idle(at now: ContinuousClock.Instant) {
        guard active, now - lastTrim >= interval else { return }
        active = false
        lastTrim = now
        Self.trimNow()
    }

    /// Trims now: after a one-off burst of allocation that the loop's idle trims would reach only later, such as the
    /// restore from a journal, whose row buffers are freed by the time the broker listens.
    static func trimNow() {
        _ = mallocTrim?(0)
    }

    /// glibc's `malloc_trim`, looked up at run time: Swift's Glibc module does not export `<malloc.h>`, and other C
    /// libraries have no such function.
    private static let mallocTrim = glibcFunction("malloc_trim", as: (@convention(c) (Int) -> Int32).self)
}
