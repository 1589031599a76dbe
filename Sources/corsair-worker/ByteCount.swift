import ArgumentParser

/// A size in bytes on the command line: a whole number, optionally followed by `K`, `M` or `G` (powers of 1024;
/// `KiB`, `MB` and lower case work too), e.g. `512M`.
struct ByteCount: ExpressibleByArgument, Hashable {
    /// The size in bytes.
    var bytes: Int

    init?(argument: String) {
        let text = argument.uppercased()
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let unit = text.dropFirst(digits.count)
        let multipliers: [Substring: Int] = [
            "": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
            "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
        ]
        guard let number = Int(digits), let multiplier = multipliers[unit] else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return nil }
        self.bytes = bytes
    }
}
