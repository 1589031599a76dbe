/// A length too large for the field the wire gives it: the encoder refuses the whole message rather than stop the
/// process or send a truncated length.
///
/// Every length-prefixed field of Corsair's frames has a limit (docs/PROTOCOL.md, "Length limits"): a task id 65 535
/// bytes (`u16`), a category 255 (`u8`), a payload or a result 4 294 967 295 (`u32`, ``maximumU32Length``).
public struct WireLengthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field that did not fit, naming its task where there is one, e.g. `task 'a' payload`.
    public var field: String
    /// Its length in bytes.
    public var length: Int
    /// The most bytes the field carries.
    public var limit: Int

    /// Creates the error.
    public init(field: String, length: Int, limit: Int) {
        self.field = field
        self.length = length
        self.limit = limit
    }

    /// The most bytes a `u32` length carries: the limit of a payload, of a result, and so of `--max-message-size`.
    public static let maximumU32Length = Int(UInt32.max)

    public var description: String {
        "\(field) is \(length) bytes, over the \(limit) bytes its length field carries"
    }

    /// How an error names task `id`: quoted, and cut to 64 characters so that an over-long id does not flood it.
    static func task(_ id: String) -> String {
        id.count <= 64 ? "task '\(id)'" : "task '\(id.prefix(64))…'"
    }
}
