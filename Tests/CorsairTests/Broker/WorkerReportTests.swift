import Foundation
import Testing

@testable import Corsair

@Suite struct WorkerReportTests {
    /// A broker with worker `name` serving `a` (credit 2) and `b` (credit 1), offering version 1.2.3.
    func twoConnections() -> BrokerHarness {
        var broker = BrokerHarness()
        for (peer, category, credit) in [(w1, "a", 2), (w2, "b", 1)] {
            var offer = WorkerOffer(credit: credit, heartbeatInterval: .seconds(1), name: "box", host: "h", pid: 7)
            offer.version = "1.2.3"
            broker.receive(
                wire(try MDPCodec.encodeFromWorker(.ready(category: category, offer: offer))), from: peer,
                after: category == "a" ? .zero : .seconds(2))
        }
        return broker
    }

    @Test("a worker's page lists its connections, current tasks longest first, counts, uptime, version, heartbeat age")
    func page() throws {
        var broker = twoConnections()
        let first = broker.submit([task("a1")], after: .seconds(3)).requests
        broker.submit([task("a2"), task("b1"), task("a3")], after: .seconds(4))
        broker.final(try #require(first.element(at: 0)), outcome: .succeeded, after: .seconds(5))
        let report = try #require(broker.machine.workerReport(named: "box", at: broker.t0 + .seconds(6)))
        #expect(report.host == "h")
        #expect(report.pid == 7)
        #expect(report.version == "1.2.3")
        #expect(report.uptimeMilliseconds == 6000)
        #expect(report.lastHeartbeatAgeMilliseconds == 1000)
        #expect(report.connections.map(\.category) == ["a", "b"])
        #expect(report.connections.map(\.uptimeMilliseconds) == [6000, 4000])
        #expect(report.connections.map(\.lastHeartbeatAgeMilliseconds) == [1000, 4000])
        #expect(report.connections.map(\.state) == ["running", "running"])
        #expect(report.inFlight == 3)
        #expect(report.completed == 1)
        #expect(report.tasks.map(\.id) == ["a2", "b1", "a3"])
        let a3 = try #require(report.tasks.last)
        #expect(a3.started == 1_005_000)
        #expect(a3.runningMilliseconds == 1000)
        #expect(a3.attempt == 1)
        #expect(a3.batch == BatchName.display([7]))
    }

    @Test("an unknown worker has no page, and its query answers JSON null")
    func unknown() throws {
        var broker = twoConnections()
        #expect(broker.machine.workerReport(named: "nobody", at: broker.t0) == nil)
        let reply = broker.receive(try ClientMessage.query(.worker("nobody")).encoded, from: client)
        #expect(reply.sent(to: client) == [.batch(.delimited, .report(Array("null".utf8)))])
    }

    @Test("the worker query decodes at the broker and its report round-trips as JSON")
    func query() throws {
        var broker = twoConnections()
        let reply = broker.receive(try ClientMessage.query(.worker("box")).encoded, from: client)
        guard case .batch(_, .report(let json)) = try #require(reply.sent(to: client).first) else {
            Issue.record("expected a REPORT, got \(reply)")
            return
        }
        let report = try JSONDecoder().decode(WorkerReport?.self, from: Data(json))
        #expect(report?.connections.count == 2)
        #expect(report?.version == "1.2.3")
    }
}
