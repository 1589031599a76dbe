/// Exponential reconnect delays: the initial delay, doubled after each failure, capped at a maximum.
public struct Backoff: Sendable, Hashable {
    /// The first delay, and the delay after ``reset()``.
    public let initial: Duration
    /// The cap.
    public let maximum: Duration
    /// The delay the next failure waits.
    public private(set) var current: Duration

    /// Creates a backoff from `initial` to `maximum`.
    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.current = initial
    }

    /// Returns the delay to wait now and doubles the next one, up to the cap.
    public mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }

    /// Starts again from the initial delay, after a success.
    public mutating func reset() {
        current = initial
    }
}
