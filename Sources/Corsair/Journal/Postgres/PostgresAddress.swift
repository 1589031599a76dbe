import Foundation

/// Where a PostgreSQL journal lives: `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME]`, as
/// `--journal` takes it.
///
/// The password may instead come from `PGPASSWORD`, as for `psql`, which keeps it off the process list. `schema`
/// (default `corsair`) names the PostgreSQL schema that holds the journal's tables, so that several journals can share
/// one database. The connection is plain TCP: put the database on a network you trust, or behind a TLS tunnel.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    /// The role to log in as.
    public var user: String
    /// Its password, if the server asks for one.
    public var password: String?
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The database.
    public var database: String
    /// The schema that holds the journal's tables.
    public var schema: String

    /// The address without its password, for messages and logs.
    public var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "postgresql://\(user)@\(host):\(port)/\(database)" + (schema == "corsair" ? "" : "?schema=\(schema)")
    }

    /// Whether `text` names a PostgreSQL journal rather than an SQLite file.
    public static func isAddress(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses `text`; a missing password is taken from `environment["PGPASSWORD"]`.
    ///
    /// - Throws: ``PostgresAddressError`` saying which part is wrong.
    public init(parsing text: String, environment: [String: String] = [:]) throws(PostgresAddressError) {
        guard let rest = Self.droppingScheme(text) else {
            throw PostgresAddressError("must start with postgresql:// (got \(text.debugDescription))")
        }
        let (beforeQuery, query) = Self.split(rest, at: "?")
        let (authority, path) = Self.split(beforeQuery, at: "/")
        guard let path, !path.isEmpty, !path.contains("/") else {
            throw PostgresAddressError("needs a database after the host: postgresql://USER@HOST/DATABASE")
        }
        database = try Self.decoded(path, part: "database")
        guard let at = authority.lastIndex(of: "@") else {
            throw PostgresAddressError("needs a user before the host: postgresql://USER@HOST/DATABASE")
        }
        let (user, password) = Self.split(String(authority[..<at]), at: ":")
        guard !user.isEmpty else { throw PostgresAddressError("has an empty user name") }
        self.user = try Self.decoded(user, part: "user")
        if let password {
            self.password = try Self.decoded(password, part: "password")
        } else {
            self.password = environment["PGPASSWORD"]
        }
        (host, port) = try Self.hostAndPort(String(authority[authority.index(after: at)...]))
        schema = try Self.schema(query: query)
    }

    private static func droppingScheme(_ text: String) -> String? {
        for scheme in ["postgresql://", "postgres://"] where text.hasPrefix(scheme) {
            return String(text.dropFirst(scheme.count))
        }
        return nil
    }

    /// `text` split at the first `separator`: what comes before it, and what after, `nil` without one.
    private static func split(_ text: String, at separator: Character) -> (String, String?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    private static func hostAndPort(_ text: String) throws(PostgresAddressError) -> (String, Int) {
        var host = text
        var port: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw PostgresAddressError("has an IPv6 host without its closing ']'")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PostgresAddressError("has text after the IPv6 host's ']'") }
                port = String(after.dropFirst())
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            port = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty else { throw PostgresAddressError("needs a host: postgresql://USER@HOST/DATABASE") }
        guard let port else { return (host, 5432) }
        guard let number = Int(port), (1...65535).contains(number) else {
            throw PostgresAddressError("has port \(port.debugDescription); a port is 1…65535")
        }
        return (host, number)
    }

    private static func schema(query: String?) throws(PostgresAddressError) -> String {
        var schema = "corsair"
        for parameter in (query ?? "").split(separator: "&") {
            let (name, value) = split(String(parameter), at: "=")
            guard name == "schema", let value else {
                throw PostgresAddressError("has parameter \(name.debugDescription); the only one known is schema=NAME")
            }
            schema = value
        }
        let valid =
            schema.utf8.count <= 63 && schema.first.map { $0.isLetter || $0 == "_" } == true
            && schema.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }
        guard valid else {
            throw PostgresAddressError(
                "has schema \(schema.debugDescription); a schema name is 1…63 of a-z, 0-9 and _, not starting with a digit"
            )
        }
        return schema
    }

    private static func decoded(_ text: String, part: String) throws(PostgresAddressError) -> String {
        guard let decoded = text.removingPercentEncoding else {
            throw PostgresAddressError("has a \(part) with a bad %-escape")
        }
        return decoded
    }
}

/// A `--journal postgresql://…` address that cannot be used, and why.
public struct PostgresAddressError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
