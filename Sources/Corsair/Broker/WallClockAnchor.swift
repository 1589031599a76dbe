/// Pins a monotonic instant to a wall-clock time, so the broker can report Unix times without reading a clock.
public struct WallClockAnchor: Sendable, Hashable {
    /// The monotonic side of the pair.
    public var instant: ContinuousClock.Instant
    /// The Unix time in milliseconds at ``instant``.
    public var unixMilliseconds: UInt64

    /// Pairs `instant` with `unixMilliseconds`.
    public init(instant: ContinuousClock.Instant, unixMilliseconds: UInt64) {
        self.instant = instant
        self.unixMilliseconds = unixMilliseconds
    }

    /// The instant at Unix time `milliseconds`.
    public func instant(atUnixMilliseconds milliseconds: UInt64) -> ContinuousClock.Instant {
        instant + .milliseconds(Int64(bitPattern: milliseconds) - Int64(bitPattern: unixMilliseconds))
    }

    /// The Unix time in milliseconds at `other`.
    public func unixMilliseconds(at other: ContinuousClock.Instant) -> UInt64 {
        let offset = (other - instant).wholeMilliseconds
        return offset >= 0 ? unixMilliseconds + UInt64(offset) : unixMilliseconds - UInt64(-offset)
    }
}
