#if canImport(Glibc)
import Glibc
#endif

/// A failed UDP system call: which one, and its errno.
public struct UDPSocketError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call, for example `bind`.
    public var operation: String
    /// Its errno.
    public var errno: Int32

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// A plain IPv4 UDP socket for beacons (UDP is not ZeroMQ, so not a ``ZeroMQ/Socket``). Not thread-safe: owned by
/// the one task or thread that opened it, which must ``close()`` it.
final class UDPSocket {
    private let descriptor: Int32
    private var isClosed = false

    /// Opens a socket; `broadcast` allows sending to a broadcast address, `reuse` lets several listeners on one
    /// host bind the same port.
    init(broadcast: Bool = false, reuse: Bool = false) throws(UDPSocketError) {
        descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw UDPSocketError(operation: "socket", errno: Glibc.errno) }
        var on: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        for (wanted, option) in [(broadcast, SO_BROADCAST), (reuse, SO_REUSEADDR), (reuse, SO_REUSEPORT)] where wanted {
            guard setsockopt(descriptor, SOL_SOCKET, option, &on, size) == 0 else {
                let error = UDPSocketError(operation: "setsockopt", errno: Glibc.errno)
                close()
                throw error
            }
        }
    }

    deinit {
        assert(isClosed, "a UDPSocket was not closed")
    }

    /// Binds every local IPv4 address at `port`.
    func bind(port: UInt16) throws(UDPSocketError) {
        var address = Self.address(host: INADDR_ANY, port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw UDPSocketError(operation: "bind", errno: Glibc.errno) }
    }

    /// Sends `bytes` to `host` (dotted IPv4) at `port`.
    func send(_ bytes: [UInt8], to host: String, port: UInt16) throws(UDPSocketError) {
        var ip = in_addr()
        guard inet_pton(AF_INET, host, &ip) == 1 else { throw UDPSocketError(operation: "inet_pton", errno: EINVAL) }
        var address = Self.address(host: ip.s_addr, port: port, networkOrder: true)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes {
                    sendto(descriptor, $0.baseAddress, $0.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent >= 0 else { throw UDPSocketError(operation: "sendto", errno: Glibc.errno) }
    }

    /// Waits up to `timeout` for a datagram; returns it with its sender's address, or `nil` when none came.
    func receive(timeout: Duration) throws(UDPSocketError) -> (bytes: [UInt8], sender: String)? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: max(0, timeout.wholeMilliseconds))
        let ready = poll(&poller, 1, milliseconds)
        if ready < 0 && Glibc.errno == EINTR { return nil }
        guard ready >= 0 else { throw UDPSocketError(operation: "poll", errno: Glibc.errno) }
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 2048)
        var sender = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { bytes in
            withUnsafeMutablePointer(to: &sender) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, bytes.baseAddress, bytes.count, 0, $0, &length)
                }
            }
        }
        guard count >= 0 else { throw UDPSocketError(operation: "recvfrom", errno: Glibc.errno) }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        inet_ntop(AF_INET, &sender.sin_addr, &text, socklen_t(INET_ADDRSTRLEN))
        return (Array(buffer.prefix(count)), String(cString: text))
    }

    /// Closes the socket.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(descriptor)
    }

    private static func address(host: in_addr_t, port: UInt16, networkOrder: Bool = false) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = networkOrder ? host : host.bigEndian
        return address
    }
}
