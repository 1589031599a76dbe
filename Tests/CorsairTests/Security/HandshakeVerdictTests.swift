import Testing
import ZeroMQ

@testable import Corsair

/// When a peer concludes that the broker turned it away: a refused key or a protocol error at once, a dropped
/// handshake only when the broker keeps dropping it, never after a handshake succeeded.
@Suite struct HandshakeVerdictTests {
    /// A monitor event of `kind` with `value`, as a socket monitor sends it.
    func event(_ kind: MonitorEvent.Kinds, value: UInt32 = 0) throws -> MonitorEvent {
        var header = withUnsafeBytes(of: UInt16(kind.rawValue)) { Array($0) }
        header += withUnsafeBytes(of: value) { Array($0) }
        return try #require(MonitorEvent(frames: [header, Array("tcp://127.0.0.1:5555".utf8)]))
    }

    @Test("a broker that drops the handshake concludes only on the third drop in a row")
    func dropsConcludeOnTheThird() throws {
        var verdict = HandshakeVerdict()
        let drop = try event(.handshakeFailedNoDetail)
        #expect(!verdict.concludes(drop))
        #expect(!verdict.concludes(drop))
        #expect(verdict.concludes(drop))
    }

    @Test("a refused key and a mechanism mismatch conclude at once")
    func refusalsConcludeAtOnce() throws {
        var refused = HandshakeVerdict()
        #expect(refused.concludes(try event(.handshakeFailedAuth, value: 400)))
        var mismatch = HandshakeVerdict()
        #expect(mismatch.concludes(try event(.handshakeFailedProtocol, value: MonitorEvent.mechanismMismatch)))
    }

    @Test("after a handshake succeeded, no drop or refusal concludes: the broker restarted or a link flapped")
    func nothingConcludesAfterSuccess() throws {
        var verdict = HandshakeVerdict()
        #expect(!verdict.concludes(try event(.handshakeFailedNoDetail)))
        #expect(!verdict.concludes(try event(.handshakeSucceeded)))
        for _ in 0..<HandshakeVerdict.dropsToConclude {
            #expect(!verdict.concludes(try event(.handshakeFailedNoDetail)))
        }
        #expect(!verdict.concludes(try event(.handshakeFailedAuth, value: 400)))
    }

    @Test("events that are not handshake outcomes conclude nothing")
    func otherEventsConcludeNothing() throws {
        var verdict = HandshakeVerdict()
        #expect(!verdict.concludes(try event(.connected)))
        #expect(!verdict.concludes(try event(.disconnected)))
    }
}
