import Foundation

/// The median and range of a figure measured over several runs, as `corsair-bench` reports it.
struct Spread: Sendable, Hashable, CustomStringConvertible {
    /// The middle value, or the mean of the middle two.
    var median: Double
    /// The smallest value.
    var minimum: Double
    /// The largest value.
    var maximum: Double

    /// The spread of `values`; the median of an even count is the mean of the middle two.
    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a spread needs at least one value")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
    }

    /// `median (min–max)`, with `digits` decimals.
    func formatted(digits: Int = 0) -> String {
        func text(_ value: Double) -> String {
            digits == 0 ? String(Int(value.rounded())) : String(format: "%.\(digits)f", value)
        }
        return minimum == maximum ? text(median) : "\(text(median)) (\(text(minimum))–\(text(maximum)))"
    }

    var description: String { formatted(digits: 2) }
}
