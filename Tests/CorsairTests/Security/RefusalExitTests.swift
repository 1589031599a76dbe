import ArgumentParser
import CorsairCLI
import Testing
import ZeroMQ

@testable import Corsair

/// The exit status of each way a CURVE broker turns a client away: 69 when the two ends do not agree on CURVE or the
/// server key, 77 (EX_NOPERM) when the broker refuses the key itself.
@Suite struct RefusalExitTests {
    /// A monitor event of `kind` with `value`, as a socket monitor sends it.
    func event(_ kind: MonitorEvent.Kinds, value: UInt32) throws -> MonitorEvent {
        var header = withUnsafeBytes(of: UInt16(kind.rawValue)) { Array($0) }
        header += withUnsafeBytes(of: value) { Array($0) }
        return try #require(MonitorEvent(frames: [header, Array("tcp://127.0.0.1:5555".utf8)]))
    }

    @Test("a key the ZAP handler refuses exits 77; a mechanism mismatch or a wrong server key exits 69")
    func handshakeFailures() throws {
        let refused = HandshakeFailure(
            broker: "tcp://b:1", event: try event(.handshakeFailedAuth, value: 400), usingCurve: true,
            fingerprint: "SHA256:00")
        #expect(refused.keyRefused)
        #expect(ExitStatus.forError(refused) == ExitStatus.noPermission)
        let plaintext = HandshakeFailure(
            broker: "tcp://b:1", event: try event(.handshakeFailedProtocol, value: MonitorEvent.mechanismMismatch),
            usingCurve: false, fingerprint: nil)
        #expect(!plaintext.keyRefused)
        #expect(ExitStatus.forError(plaintext) == ExitStatus.unavailable)
        let wrongServerKey = HandshakeFailure(
            broker: "tcp://b:1", event: try event(.handshakeFailedNoDetail, value: 0), usingCurve: true,
            fingerprint: "SHA256:00")
        #expect(ExitStatus.forError(wrongServerKey) == ExitStatus.unavailable)
    }

    @Test("the broker's error reply for a key not allowed as a client exits 77; another error reply exits 65")
    func roleRefusal() throws {
        let refused = try #require(
            AccessRefused(brokerError: AccessRefused.message(keyName: "'w1' (SHA256:00)"), broker: "tcp://b:1"))
        #expect(ExitStatus.forError(refused) == ExitStatus.noPermission)
        #expect(refused.description.contains("--allow-clients"))
        #expect(ExitStatus.forError(BatchClient.Failure.brokerError("bad SUBMIT")) == ExitStatus.dataError)
    }
}
