/// When a delayed task may first run: the `delay` or `not_before` field of a JSON lines task.
///
/// The broker holds such a task as ``TaskState/scheduled`` and moves it to its queue at that time (within one pass of
/// its loop). A delay counts from when the broker accepts the task, so the client's and the broker's clocks need not
/// agree; a not-before time is an absolute instant in Unix milliseconds, compared with the broker's wall clock.
public enum TaskSchedule: Sendable, Hashable {
    /// Run no sooner than this long after the broker accepts the task.
    case delay(Duration)
    /// Run no sooner than this Unix time, in milliseconds.
    case notBefore(unixMilliseconds: UInt64)

    /// The instant the task may run, for a broker that accepts it at `now` and maps instants to Unix time with
    /// `anchor`.
    func instant(acceptedAt now: ContinuousClock.Instant, anchor: WallClockAnchor) -> ContinuousClock.Instant {
        switch self {
        case .delay(let delay):
            return now + delay
        case .notBefore(let milliseconds):
            return anchor.clampedInstant(atUnixMilliseconds: milliseconds)
        }
    }
}
