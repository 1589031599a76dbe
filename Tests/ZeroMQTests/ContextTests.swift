import Testing

@testable import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A context's socket limit (`ZMQ_MAX_SOCKETS`): libzmq's default, and raising it before the first socket.
@Suite struct ContextTests {
    /// Opens `count` DEALER sockets in `context` (fewer if libzmq refuses one) and closes them all.
    ///
    /// - Returns: how many it could open, and the error that stopped it, if one did.
    private func openSockets(_ count: Int, in context: Context) -> (opened: Int, error: ZeroMQError?) {
        var sockets: [Socket] = []
        defer {
            for socket in sockets {
                socket.close()
            }
        }
        while sockets.count < count {
            do throws(ZeroMQError) {
                sockets.append(try Socket(context: context, type: .dealer))
            } catch {
                return (sockets.count, error)
            }
        }
        return (sockets.count, nil)
    }

    @Test("refuses the 1 024th socket by default, with EMFILE")
    func defaultLimit() throws {
        let context = try Context()
        #expect(context.maxSockets == 1023)
        let (opened, error) = openSockets(1100, in: context)
        #expect(opened == 1023)
        #expect(error?.errno == EMFILE, "\(String(describing: error))")
    }

    @Test("opens more than 1 023 sockets once the limit is raised before the first")
    func raisedLimit() throws {
        let context = try Context()
        try context.setMaxSockets(2000)
        #expect(context.maxSockets == 2000)
        let (opened, error) = openSockets(1500, in: context)
        #expect(opened == 1500, "\(String(describing: error))")
    }

    @Test("refuses a limit below one")
    func invalidLimit() throws {
        let context = try Context()
        #expect(throws: ZeroMQError.self) { try context.setMaxSockets(0) }
    }
}
