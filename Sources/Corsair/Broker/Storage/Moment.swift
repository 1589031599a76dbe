/// An optional instant in 8 bytes (an `Optional<ContinuousClock.Instant>` takes 17, padded to 24): nanoseconds from
/// a reference instant fixed when the process first needs one, with `Int64.min` for none.
struct Moment: Sendable, Hashable, Comparable {
    private static let reference = ContinuousClock.now
    static let none = Moment(nanoseconds: .min)

    private var nanoseconds: Int64

    private init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    init(_ instant: ContinuousClock.Instant?) {
        guard let instant else {
            self = .none
            return
        }
        nanoseconds = Int64(truncatingIfNeeded: (instant - Self.reference).attoseconds / 1_000_000_000)
    }

    var instant: ContinuousClock.Instant? {
        nanoseconds == .min ? nil : Self.reference + Duration(attoseconds: Int128(nanoseconds) * 1_000_000_000)
    }

    static func < (lhs: Moment, rhs: Moment) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
