/// Why a journal could not be opened, read or written: what went wrong, where, and what to do about it.
public struct JournalError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, which decides the exit code.
    public enum Kind: Sendable, Hashable {
        /// The journal cannot be created or opened for writing: a missing directory, no permission (EX_CANTCREAT 73).
        case cannotCreate
        /// Another broker holds the journal (EX_CANTCREAT 73).
        case inUse(pid: Int?)
        /// The file is not a Corsair journal, is corrupt or is truncated (EX_IOERR 74).
        case corrupt
        /// The disk is full (or over quota); the write was rolled back and may be tried again.
        case full
        /// Any other read or write failure (EX_IOERR 74).
        case io
        /// Another broker took the journal over (a shared PostgreSQL journal's lease): this one must stop dispatching
        /// and step down (EX_TEMPFAIL 75).
        case deposed
    }

    /// What kind of failure.
    public var kind: Kind
    /// The journal's path.
    public var path: String
    /// What happened, and what to do.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// The sysexits code a broker that stops for this error exits with: 73 for ``Kind/cannotCreate`` and
    /// ``Kind/inUse``, 75 for ``Kind/deposed``, 74 for the others.
    public var exitCode: Int32 {
        switch kind {
        case .cannotCreate, .inUse: 73
        case .deposed: 75
        case .corrupt, .full, .io: 74
        }
    }

    public var description: String { "journal \(path): \(message)" }
}
