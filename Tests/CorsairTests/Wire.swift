import Testing

/// What `encode` returns, for test helpers that do not throw: an error (a length over its field, which names the
/// field) is recorded as the test's failure, and an empty value returned, rather than the whole run stopping.
func wire<Encoded: RangeReplaceableCollection>(_ encode: @autoclosure () throws -> Encoded) -> Encoded {
    do {
        return try encode()
    } catch {
        Issue.record(error)
        return Encoded()
    }
}
