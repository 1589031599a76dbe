import Foundation
import Logging
import Testing
import ZeroMQ

@testable import Corsair

/// The allow list, the ZAP handler's answers and the broker's role check, without sockets.
@Suite struct AccessTests {
    let directory: URL
    let worker: CurveKeyPair
    let client: CurveKeyPair
    let access: AccessList

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID())")
        for sub in ["workers", "clients"] {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        worker = try CurveKeyPair.generate()
        client = try CurveKeyPair.generate()
        _ = try CurveKeyFile.write(worker, name: "w1", directory: directory.appendingPathComponent("workers").path)
        _ = try CurveKeyFile.write(client, name: "c1", directory: directory.appendingPathComponent("clients").path)
        access = try AccessList.load(
            workers: directory.appendingPathComponent("workers").path,
            clients: directory.appendingPathComponent("clients").path)
        try? FileManager.default.removeItem(at: directory)
    }

    func zapRequest(key: [UInt8], mechanism: String = "CURVE") -> Multipart {
        [
            Array("1.0".utf8), Array("7".utf8), [], Array("10.0.0.9".utf8), [], Array(mechanism.utf8), key,
        ]
    }

    @Test("answers ZAP 200 with the key's identity for an allowed key, 400 for another key or a malformed request")
    func zapAnswers() throws {
        var state = ZAPState(access: access, logger: .init(label: "test"), metrics: nil)
        let allowed = state.answer(zapRequest(key: worker.publicKey))
        #expect(allowed.count == 6)
        #expect(allowed.dropFirst(2).first == Array("200".utf8))
        let identity = try #require(
            PeerIdentity(userID: String(decoding: allowed.dropFirst(4).first ?? [], as: UTF8.self)))
        #expect(identity.name == "w1")
        #expect(identity.address == "10.0.0.9")
        #expect(identity.fingerprint == KeyFingerprint.of(worker.publicKey))
        let stranger = try CurveKeyPair.generate()
        #expect(state.answer(zapRequest(key: stranger.publicKey)).dropFirst(2).first == Array("400".utf8))
        #expect(
            state.answer(zapRequest(key: worker.publicKey, mechanism: "PLAIN")).dropFirst(2).first == Array("400".utf8))
        #expect(state.answer([Array("garbage".utf8)]).dropFirst(2).first == Array("400".utf8))
    }

    func userID(_ pair: CurveKeyPair, name: String) -> String {
        PeerIdentity(fingerprint: KeyFingerprint.of(pair.publicKey), address: "10.0.0.9", name: name).userID
    }

    @Test("refuses READY from a client key with DISCONNECT, and admits it from a worker key")
    func readyNeedsWorkerRole() {
        var guardian = AccessGuard(access: access)
        let ready: [[UInt8]] = [[0x01], [], MDP.workerHeader, [MDP.WorkerCommand.ready.rawValue], Array("a".utf8)]
        guard
            case .refuse(.notWorker, _, .disconnect(.delimited, .v02)?) = guardian.check(
                ready, from: 1, userID: userID(client, name: "c1"))
        else {
            Issue.record("a client key's READY was not refused with DISCONNECT")
            return
        }
        guard case .admit(let identity) = guardian.check(ready, from: 1, userID: userID(worker, name: "w1")) else {
            Issue.record("a worker key's READY was refused")
            return
        }
        #expect(identity?.name == "w1")
    }

    @Test("a new list applies to connections already checked: a removed worker key's next READY is refused")
    func reloadAppliesToKnownConnections() throws {
        var guardian = AccessGuard(access: access)
        let ready: [[UInt8]] = [[0x01], MDP.workerHeader, [MDP.WorkerCommand.ready.rawValue], Array("a".utf8)]
        let workerID = userID(worker, name: "w1")
        guard case .admit = guardian.check(ready, from: 1, userID: workerID) else {
            Issue.record("a worker key's READY was refused")
            return
        }
        guardian.access = try AccessList.load(workers: nil, clients: nil)
        guard case .refuse(.notWorker, let identity, _) = guardian.check(ready, from: 1, userID: workerID) else {
            Issue.record("a removed worker key's READY was admitted")
            return
        }
        #expect(identity?.name == "w1")
    }

    @Test("refuses a submission from a worker key with an error reply, and admits it from a client key")
    func submitNeedsClientRole() throws {
        var guardian = AccessGuard(access: access)
        let submit: [[UInt8]] = [[0x01], ClientProtocol.header, [0x01], [1, 2, 3]]
        guard
            case .refuse(.notClient, _, .batch(.rfc18, .error(let text))?) = guardian.check(
                submit, from: 1, userID: userID(worker, name: "w1"))
        else {
            Issue.record("a worker key's submission was not refused with an error")
            return
        }
        #expect(text.contains("not allowed as a client"))
        let refused = try #require(AccessRefused(brokerError: text, broker: "tcp://b:1"))
        #expect(refused.reason.hasPrefix("key 'w1'"))
        #expect(AccessRefused(brokerError: "bad SUBMIT", broker: "tcp://b:1") == nil)
        guard case .admit = guardian.check(submit, from: 1, userID: userID(client, name: "c1")) else {
            Issue.record("a client key's submission was refused")
            return
        }
    }

    @Test("logs at most 20 refusals per 10 s and says how many it left out")
    func throttle() {
        var throttle = RefusalThrottle()
        let t0 = ContinuousClock.now
        let logged = (0..<100).filter { throttle.admit(at: t0 + .milliseconds($0)) != nil }.count
        #expect(logged == 20)
        #expect(throttle.admit(at: t0 + .seconds(11)) == 80)
    }
}
