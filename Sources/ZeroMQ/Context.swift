internal import CZeroMQ

/// A libzmq context: the I/O threads and the registry that sockets are created from.
///
/// One context serves a whole process: use ``shared``. Sockets keep their context alive; a context of your own is
/// terminated when the last reference goes, which only happens after every socket made from it has been closed. The
/// shared one lives until ``terminateShared()``.
///
/// - Note: `@unchecked Sendable` because zmq(7) documents contexts as thread-safe: any thread may create sockets from
///   it. Sockets themselves are not, see ``Socket``.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// Creates a context with libzmq's defaults (one I/O thread).
    public init() throws(ZeroMQError) {
        guard let handle = zmq_ctx_new() else {
            throw ZeroMQError(errno: zmq_errno(), operation: "zmq_ctx_new")
        }
        self.handle = handle
    }

    deinit {
        _ = try? zeroMQCall("zmq_ctx_term") { zmq_ctx_term(handle) }
    }

    /// The most sockets this context may hold open at once (`ZMQ_MAX_SOCKETS`): libzmq's default is 1 023, past which
    /// creating a socket fails with `EMFILE`.
    ///
    /// Raise it before the context's first socket is created: libzmq sizes the context's socket table then, and a
    /// later change has no effect. Every socket also costs a file descriptor, and each of its connections another, so
    /// the process's `RLIMIT_NOFILE` must allow as many.
    ///
    /// - Throws: ``ZeroMQError`` with ``ZeroMQError/Code/invalidArgument`` for a count below 1.
    public func setMaxSockets(_ count: Int) throws(ZeroMQError) {
        try zeroMQCall("zmq_ctx_set(ZMQ_MAX_SOCKETS, \(count))") {
            zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, Int32(clamping: count))
        }
    }

    /// The most sockets this context may hold open at once (`ZMQ_MAX_SOCKETS`), as set or by default.
    public var maxSockets: Int {
        Int(zmq_ctx_get(handle, ZMQ_MAX_SOCKETS))
    }

    /// The process's one context, created on first use.
    ///
    /// - Throws: ``ZeroMQError`` when libzmq could not create it (out of file descriptors), on every access.
    public static var shared: Context {
        get throws(ZeroMQError) { try sharedContext.get() }
    }

    private static let sharedContext = Result<Context, ZeroMQError> { () throws(ZeroMQError) in try Context() }

    /// Ends the shared context at the end of a process: waits until every socket made from it is closed and their
    /// messages have left, each within its socket's linger, so that a last DISCONNECT or result is not lost at exit.
    ///
    /// Call it once, after the threads that own sockets have closed them: a socket still open keeps this waiting
    /// (blocking calls on such a socket fail with ``ZeroMQError/Code/contextTerminated`` meanwhile). Sockets cannot be
    /// created from the shared context afterwards.
    public static func terminateShared() {
        guard case .success(let context) = sharedContext else { return }
        _ = try? zeroMQCall("zmq_ctx_term") { zmq_ctx_term(context.handle) }
    }

    /// The version of the libzmq library loaded at run time, as `(major, minor, patch)`.
    public static var libraryVersion: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with CURVE security.
    public static var hasCurve: Bool { CZeroMQ_hasCurve() != 0 }
}
