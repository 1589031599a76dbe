import Foundation

/// A TCP port on 127.0.0.1 that nobody listens on now, for a peer that must be given its port rather than bind a
/// wildcard one and report it (a `zmq_proxy` baseline, a third-party MDP peer). Another process may take the port
/// before the peer binds it; callers use it where that race is acceptable.
public enum LoopbackPort {
    /// Asks the kernel for an ephemeral port by binding port 0, then releases it.
    ///
    /// - Throws: ``NoFreePort`` when no socket can be bound.
    public static func free() throws(NoFreePort) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw NoFreePort(reason: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw NoFreePort(reason: "could not bind 127.0.0.1:0") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// No loopback port could be found.
public struct NoFreePort: Error, CustomStringConvertible {
    /// What failed.
    public var reason: String

    public var description: String { "no free loopback port: \(reason)" }
}
