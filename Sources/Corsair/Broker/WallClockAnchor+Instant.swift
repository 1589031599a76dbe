extension WallClockAnchor {
    /// The instant at Unix time `milliseconds`, the inverse of ``unixMilliseconds(at:)``, for a time a client sent:
    /// times further than a hundred years from the anchor are clamped to that distance, so that none overflows.
    func clampedInstant(atUnixMilliseconds milliseconds: UInt64) -> ContinuousClock.Instant {
        let limit: UInt64 = 100 * 366 * 24 * 3_600_000
        if milliseconds >= unixMilliseconds {
            return instant + .milliseconds(Int64(min(milliseconds - unixMilliseconds, limit)))
        }
        return instant - .milliseconds(Int64(min(unixMilliseconds - milliseconds, limit)))
    }
}
