/// A problem found while parsing a batch file, with its position.
///
/// The ``description`` reads like `line 2, column 7: category must start with
/// a letter (token '42')`; the token is appended only when the message does
/// not already quote it.
public struct BatchFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line the problem is on.
    public var line: Int

    /// The 1-based column, counted in `Character`s, where the problem starts.
    public var column: Int

    /// The offending token or field name, when there is one.
    public var token: String?

    /// What is wrong, in words.
    public var message: String

    /// The JSON field at fault, for a JSON lines batch.
    public var field: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - line: The 1-based line the problem is on.
    ///   - column: The 1-based column, in `Character`s, where the problem starts.
    ///   - token: The offending token or field name, if any.
    ///   - message: What is wrong, in words.
    public init(line: Int, column: Int, token: String? = nil, message: String) {
        self.line = line
        self.column = column
        self.token = token
        self.message = message
    }

    /// The position, message and (unless the message quotes it already) the token.
    public var description: String {
        var text = "line \(line), column \(column): \(message)"
        if let token, !message.contains("'\(token)'") {
            text += " (token '\(token)')"
        }
        return text
    }
}
