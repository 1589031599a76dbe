public import ArgumentParser

/// A size in bytes on the command line: a whole number, optionally followed by `K`, `M` or `G` (powers of 1024;
/// `KiB`, `MB`, `B` and lower case work too), e.g. `512M` or `16MiB`. Shared by `--max-message-size`,
/// `--max-result-size` and `--exec-memory-limit`.
public struct ByteCount: ExpressibleByArgument, Hashable, Sendable, CustomStringConvertible {
    /// The size in bytes.
    public var bytes: Int

    /// Wraps a number of bytes.
    public init(bytes: Int) {
        self.bytes = bytes
    }

    /// Parses `text`, throwing an error that says what is wrong with it.
    public init(parsing text: String) throws(ByteCountError) {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        guard !digits.isEmpty else {
            throw ByteCountError(text, "does not start with a whole number of bytes")
        }
        guard let multiplier = Self.multipliers[unit.uppercased()] else {
            throw ByteCountError(text, "has unknown unit '\(unit)'")
        }
        guard let number = Int(digits) else {
            throw ByteCountError(text, "is too large a number")
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else {
            throw ByteCountError(text, "is too large a number")
        }
        self.bytes = bytes
    }

    public init?(argument: String) {
        guard let count = try? ByteCount(parsing: argument) else { return nil }
        self = count
    }

    /// The units and the bytes each stands for.
    private static let multipliers: [String: Int] = [
        "": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
        "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
    ]

    /// The size in the largest unit that divides it, e.g. `16MiB`, or plain bytes.
    public var description: String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }

    public var defaultValueDescription: String { description }
}

/// A size on the command line that is not one, naming the text and what is wrong with it.
public struct ByteCountError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text given.
    public var text: String
    /// What is wrong with it.
    public var problem: String

    init(_ text: String, _ problem: String) {
        self.text = text
        self.problem = problem
    }

    public var description: String {
        "'\(text)' \(problem): give a whole number of bytes, optionally followed by K, M or G (KiB, MiB, GiB: powers "
            + "of 1024), e.g. 16M"
    }
}
