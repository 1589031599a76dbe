extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        Int64(truncatingIfNeeded: attoseconds / 1_000_000_000_000_000)
    }
}
