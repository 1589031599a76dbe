import Foundation

/// Which CURVE public keys may connect to the broker, and in which roles: the `.pub` files of `--allow-workers`
/// and `--allow-clients`, each named for its file (`alice.pub` is `alice`).
///
/// The ZAP handler refuses a key that is in neither directory at the handshake; the broker I/O thread checks the
/// role of each READY and each client message against the same list.
public struct AccessList: Sendable, Hashable {
    /// The roles a key may take.
    public struct Roles: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        /// Creates a role set.
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// May register as a worker (READY).
        public static let worker = Roles(rawValue: 1)
        /// May submit and query (the client protocols).
        public static let client = Roles(rawValue: 2)
    }

    /// One allowed key.
    public struct Entry: Sendable, Hashable {
        /// The key's name: its `.pub` file's name without the extension.
        public var name: String
        public var roles: Roles
    }

    /// The directory of worker keys, and of client keys, as given; `nil` allows no key in that role.
    public let workersDirectory: String?
    public let clientsDirectory: String?
    /// Allowed keys by fingerprint (``KeyFingerprint``).
    public private(set) var entries: [String: Entry] = [:]

    /// Reads every `*.pub` file of the two directories.
    ///
    /// - Throws: ``KeyFileError`` naming the directory that cannot be listed, or the first file that is not a valid
    ///   public key file.
    public static func load(workers: String?, clients: String?) throws(KeyFileError) -> AccessList {
        var list = AccessList(workersDirectory: workers, clientsDirectory: clients)
        if let workers {
            try list.add(directory: workers, role: .worker)
        }
        if let clients {
            try list.add(directory: clients, role: .client)
        }
        return list
    }

    /// The entry of `publicKey` with its fingerprint, or `nil` when the key is not allowed at all.
    public func entry(forKey publicKey: [UInt8]) -> (fingerprint: String, entry: Entry?) {
        let fingerprint = KeyFingerprint.of(publicKey)
        return (fingerprint, entries[fingerprint])
    }

    /// The roles of the key with `fingerprint`; empty when it is not allowed.
    public func roles(ofFingerprint fingerprint: String) -> Roles {
        entries[fingerprint]?.roles ?? []
    }

    /// How many keys are allowed in `role`.
    public func count(_ role: Roles) -> Int {
        entries.values.count { $0.roles.contains(role) }
    }

    private mutating func add(directory: String, role: Roles) throws(KeyFileError) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw KeyFileError(path: directory, "cannot list the directory: \((error as NSError).localizedDescription)")
        }
        for file in names.sorted() where file.hasSuffix(".pub") {
            let path = directory.hasSuffix("/") ? directory + file : directory + "/" + file
            let name = String(file.dropLast(4))
            guard !name.isEmpty, !name.contains(where: \.isNewline), !name.contains("\t") else {
                throw KeyFileError(path: path, "the file name is not usable as a key name")
            }
            let fingerprint = KeyFingerprint.of(try CurveKeyFile.readPublicKey(at: path))
            if var entry = entries[fingerprint] {
                entry.roles.insert(role)
                entries[fingerprint] = entry
            } else {
                entries[fingerprint] = Entry(name: name, roles: role)
            }
        }
    }
}
