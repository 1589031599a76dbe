/// A CURVE key file (or the HTTP token file) Corsair cannot use: the commands exit 65 (EX_DATAERR) for it, naming
/// the file.
public struct KeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, as given.
    public var path: String
    /// What is wrong with it, for example `secret-key is 31 bytes, not 32`.
    public var reason: String

    /// Creates the error for `path`.
    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
