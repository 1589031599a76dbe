/// Where the gateway listens, as `--http` takes it: `HOST:PORT`, with an IPv6 host in brackets (`[::1]:8080`).
public struct HTTPAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// 0 picks a free port.
    public var port: Int

    /// Parses `HOST:PORT`.
    ///
    /// - Throws: ``Invalid`` naming what is wrong, for example `'localhost' has no port (expected HOST:PORT)`.
    public init(parsing text: String) throws(Invalid) {
        guard let colon = text.lastIndex(of: ":") else {
            throw Invalid("'\(text)' has no port (expected HOST:PORT, for example 127.0.0.1:8080)")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw Invalid("'\(text)': put an IPv6 host in brackets, for example [::1]:8080")
        }
        guard !host.isEmpty else {
            throw Invalid("'\(text)' has no host (use 0.0.0.0 for every interface, 127.0.0.1 for this machine only)")
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw Invalid("'\(text)': port '\(portText)' is not a number in 0…65535")
        }
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// A malformed `--http` address.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String

        init(_ description: String) {
            self.description = description
        }
    }
}
