internal import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes one libzmq call that returns a negative number on failure, retrying `EINTR`.
///
/// Every `zmq_*` call that can fail goes through here, so errno handling lives in one place. `ENOTSOCK` and `EFAULT`
/// mean a closed or invalid handle was used: programmer errors, so they stop the process.
@inline(__always)
@discardableResult
func zeroMQCall(_ operation: @autoclosure () -> String, _ body: () -> Int32) throws(ZeroMQError) -> Int32 {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = zmq_errno()
        switch code {
        case EINTR:
            continue
        case ENOTSOCK, EFAULT:
            preconditionFailure("\(operation()): used an invalid or closed socket (errno \(code))")
        default:
            throw ZeroMQError(errno: code, operation: operation())
        }
    }
}
