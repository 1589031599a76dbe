import Foundation
public import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// CURVE key files in the spirit of czmq's zcert: `NAME.pub` holds the Z85 public key and may be shared;
/// `NAME.key` holds the secret key too, is created with mode 0600 and is never overwritten.
///
/// Both are ZPL text (`curve` / `public-key = "…"` / `secret-key = "…"`), so czmq tools can read them. A file that
/// holds nothing but one 40-character Z85 key is read too: a public key from a `.pub` file, a secret key from a
/// secret key file.
public enum CurveKeyFile {
    /// The largest key file read; a larger one is not a key file.
    static let maximumSize = 64 << 10

    /// The public key in the file at `path` (a `.pub` file, or a secret key file, whose public key it derives).
    ///
    /// - Throws: ``KeyFileError`` naming the file when it is unreadable or holds no valid public key.
    public static func readPublicKey(at path: String) throws(KeyFileError) -> [UInt8] {
        let entries = try parse(try read(path), path: path)
        if let publicKey = entries.publicKey { return publicKey }
        if let secretKey = entries.secretKey { return try pair(secretKey, path: path).publicKey }
        if let bare = entries.bare { return bare }
        throw KeyFileError(path: path, "no public-key in the file")
    }

    /// The key pair in the secret key file at `path`.
    ///
    /// The file must not be readable or writable by group or others (ssh's rule for private keys): a secret key
    /// that others could read is refused, not warned about, since by then it may already be known.
    ///
    /// - Throws: ``KeyFileError`` naming the file when it is unreadable, open to others, or holds no valid secret key.
    public static func readKeyPair(at path: String) throws(KeyFileError) -> CurveKeyPair {
        let text = try read(path)
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
            throw KeyFileError(
                path: path,
                "secret key file is open to group or others (mode \(String(status.st_mode & 0o777, radix: 8))); "
                    + "chmod 600 it")
        }
        let entries = try parse(text, path: path)
        guard let secretKey = entries.secretKey ?? entries.bare else {
            throw KeyFileError(path: path, "no secret-key in the file (is it a .pub file?)")
        }
        let keyPair = try pair(secretKey, path: path)
        if let publicKey = entries.publicKey, publicKey != keyPair.publicKey {
            throw KeyFileError(path: path, "public-key does not belong to secret-key")
        }
        return keyPair
    }

    /// Writes `keyPair` as `NAME.key` (mode 0600) and `NAME.pub` in `directory`; refuses to replace either.
    ///
    /// - Returns: the paths written, secret key file first.
    /// - Throws: ``KeyFileError`` naming the file that exists already or could not be written.
    public static func write(
        _ keyPair: CurveKeyPair,
        name: String,
        directory: String
    ) throws(KeyFileError) -> (secret: String, public: String) {
        let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let secretPath = base + ".key"
        let publicPath = base + ".pub"
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw KeyFileError(path: path, "exists already; keygen never overwrites a key")
        }
        let publicText = Z85.encode(keyPair.publicKey) ?? ""
        let secretText = Z85.encode(keyPair.secretKey) ?? ""
        try create(
            secretPath, mode: 0o600,
            text: header("Secret", name: name)
                + "#   Keep it private: do not copy it off this machine or loosen its mode (0600).\n\n"
                + body(name: name) + "    public-key = \"\(publicText)\"\n    secret-key = \"\(secretText)\"\n")
        try create(
            publicPath, mode: 0o644,
            text: header("Public", name: name)
                + "#   Share it with the peers that should accept this key (their --allow-* directories).\n\n"
                + body(name: name) + "    public-key = \"\(publicText)\"\n")
        return (secretPath, publicPath)
    }

    // MARK: - Parsing

    /// The keys a file names: `public-key` and `secret-key` entries, or one bare Z85 key.
    struct Entries {
        var publicKey: [UInt8]?
        var secretKey: [UInt8]?
        var bare: [UInt8]?
    }

    static func parse(_ text: String, path: String) throws(KeyFileError) -> Entries {
        var entries = Entries()
        var others = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            // `=` is a Z85 digit, so a bare key is recognised before a line is read as `name = value`.
            if line.count == 40, let key = Z85.decode(line) {
                entries.bare = key
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                others += 1
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard name == "public-key" || name == "secret-key" else {
                others += 1
                continue
            }
            let key = try decode(value, entry: name, line: index + 1, path: path)
            if name == "public-key" { entries.publicKey = key } else { entries.secretKey = key }
        }
        if entries.publicKey == nil, entries.secretKey == nil, entries.bare == nil {
            throw KeyFileError(
                path: path, others > 0 ? "not a key file: no public-key, secret-key or Z85 key line" : "empty")
        }
        return entries
    }

    private static func decode(_ value: String, entry: String, line: Int, path: String) throws(KeyFileError) -> [UInt8]
    {
        guard let key = Z85.decode(value) else {
            throw KeyFileError(path: path, "line \(line): \(entry) is not Z85 text (\(value.count) characters)")
        }
        guard key.count == CurveKeyPair.keyLength else {
            throw KeyFileError(path: path, "line \(line): \(entry) is \(key.count) bytes, not 32")
        }
        return key
    }

    private static func pair(_ secretKey: [UInt8], path: String) throws(KeyFileError) -> CurveKeyPair {
        do {
            return try CurveKeyPair(secretKey: secretKey)
        } catch {
            throw KeyFileError(path: path, "secret key refused by libzmq: \(error)")
        }
    }

    // MARK: - Files

    private static func read(_ path: String) throws(KeyFileError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KeyFileError(path: path, "cannot read it: \((error as NSError).localizedDescription)")
        }
        guard data.count <= maximumSize else { throw KeyFileError(path: path, "too large for a key file") }
        guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError(path: path, "not UTF-8 text") }
        return text
    }

    private static func create(_ path: String, mode: mode_t, text: String) throws(KeyFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw KeyFileError(path: path, "cannot create it: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw KeyFileError(path: path, "cannot write it: \(String(cString: strerror(errno)))")
        }
    }

    private static func header(_ kind: String, name: String) -> String {
        "#   ****  Generated by corsair keygen  ****\n#   ZeroMQ CURVE \(kind) Certificate: \(name)\n"
    }

    private static func body(name: String) -> String {
        "metadata\n    name = \"\(name)\"\ncurve\n"
    }
}
