internal import CZeroMQ

/// A libzmq context: the I/O threads and the registry that sockets are created from.
///
/// One context serves a whole process. Sockets keep their context alive; the context is terminated when the last
/// reference goes, which only happens after every socket made from it has been closed.
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
