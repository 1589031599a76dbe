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

    /// What a new verdict concludes after each of `events`, in turn.
    func verdicts(_ events: [MonitorEvent]) -> [Bool] {
        var verdict = HandshakeVerdict()
        return events.map { verdict.concludes($0) }
    }

    @Test("a broker that drops the handshake concludes only on the third drop in a row")
    func dropsConcludeOnTheThird() throws {
        let drop = try event(.handshakeFailedNoDetail)
        #expect(verdicts([drop, drop, drop]) == [false, false, true])
    }

    @Test("a refused key and a mechanism mismatch conclude at once")
    func refusalsConcludeAtOnce() throws {
        #expect(verdicts([try event(.handshakeFailedAuth, value: 400)]) == [true])
        #expect(verdicts([try event(.handshakeFailedProtocol, value: MonitorEvent.mechanismMismatch)]) == [true])
    }

    @Test("after a handshake succeeded, no drop or refusal concludes: the broker restarted or a link flapped")
    func nothingConcludesAfterSuccess() throws {
        let drop = try event(.handshakeFailedNoDetail)
        let events = [
            drop, try event(.handshakeSucceeded), drop, drop, drop, try event(.handshakeFailedAuth, value: 400),
        ]
        #expect(verdicts(events) == Array(repeating: false, count: events.count))
    }

    @Test("events that are not handshake outcomes conclude nothing")
    func otherEventsConcludeNothing() throws {
        #expect(verdicts([try event(.connected), try event(.disconnected)]) == [false, false])
    }
}
