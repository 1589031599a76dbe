internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq, with the `errno` it set and the call that failed.
///
/// Callers branch on ``code`` (for example ``Code/wouldBlock`` or ``Code/contextTerminated``); the
/// ``description`` carries libzmq's own text for logs.
public struct ZeroMQError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure callers act on. Anything else is ``other``, with the errno kept in ``ZeroMQError/errno``.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case wouldBlock, contextTerminated, hostUnreachable, invalidState, invalidArgument
            case addressInUse, addressNotAvailable, protocolNotSupported, noSuchDevice, other
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `EAGAIN`: a non-blocking call found nothing to do.
        public static let wouldBlock = Code(.wouldBlock)
        /// `ETERM`: the socket's context was terminated.
        public static let contextTerminated = Code(.contextTerminated)
        /// `EHOSTUNREACH`: a ROUTER with `ROUTER_MANDATORY` has no peer with that routing id.
        public static let hostUnreachable = Code(.hostUnreachable)
        /// `EFSM`: the socket is in the wrong state for the operation.
        public static let invalidState = Code(.invalidState)
        /// `EINVAL`: a malformed endpoint or option value.
        public static let invalidArgument = Code(.invalidArgument)
        /// `EADDRINUSE`: the endpoint is already bound.
        public static let addressInUse = Code(.addressInUse)
        /// `EADDRNOTAVAIL`: the address is not local.
        public static let addressNotAvailable = Code(.addressNotAvailable)
        /// `EPROTONOSUPPORT`: the transport is not supported.
        public static let protocolNotSupported = Code(.protocolNotSupported)
        /// `ENODEV`: the interface named in the endpoint does not exist.
        public static let noSuchDevice = Code(.noSuchDevice)
        /// Any other errno.
        public static let other = Code(.other)

        init(errno: Int32) {
            switch errno {
            case EAGAIN: self = .wouldBlock
            case ETERM: self = .contextTerminated
            case EHOSTUNREACH: self = .hostUnreachable
            case EFSM: self = .invalidState
            case EINVAL: self = .invalidArgument
            case EADDRINUSE: self = .addressInUse
            case EADDRNOTAVAIL: self = .addressNotAvailable
            case EPROTONOSUPPORT: self = .protocolNotSupported
            case ENODEV: self = .noSuchDevice
            default: self = .other
            }
        }

        public var description: String { "\(base)" }
    }

    /// What went wrong, for matching.
    public let code: Code
    /// The raw errno libzmq reported.
    public let errno: Int32
    /// The operation that failed, for example `zmq_bind(tcp://*:5555)`.
    public let operation: String

    /// Creates an error from an errno, as the wrapper does after a failed call.
    public init(errno: Int32, operation: String) {
        self.code = Code(errno: errno)
        self.errno = errno
        self.operation = operation
    }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(errno))) (errno \(errno))"
    }
}
