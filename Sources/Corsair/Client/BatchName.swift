/// Batch names: how a client session's bytes are shown to people and given by them.
public enum BatchName {
    /// The longest name `corsair submit --batch` takes.
    public static let maximumLength = 64

    /// A new batch name, `batch-` and 16 random hex digits, for a batch submitted without one that must be named
    /// again later (`corsair submit --detach`, then `corsair wait`).
    public static func random() -> String {
        "batch-" + (0..<8).map { _ in UInt8.random(in: 0...255) }.hexString
    }

    /// `session` as text when it is a printable ASCII name (as `corsair submit --batch` sets it), else in hex (a
    /// random session).
    public static func display(_ session: [UInt8]) -> String {
        if isName(session) {
            return String(decoding: session, as: UTF8.self)
        }
        return session.hexString
    }

    /// Why `name` cannot name a batch, or `nil` when it can.
    public static func validate(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength else {
            return "must be 1 to \(maximumLength) characters"
        }
        guard isName(bytes) else { return "may hold only printable ASCII characters other than space" }
        return nil
    }

    private static func isName(_ bytes: [UInt8]) -> Bool {
        !bytes.isEmpty && bytes.count <= maximumLength && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f }
    }
}
