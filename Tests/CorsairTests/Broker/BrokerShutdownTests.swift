import Foundation
import Testing

@testable import Corsair

@Suite struct BrokerShutdownTests {
    /// Registers a corsair-worker connection that offers `shutdown=1`, named `w-PEER`.
    @discardableResult
    func stoppableWorker(
        _ broker: inout BrokerHarness, _ peer: PeerID, category: String = "a", credit: Int = 2,
        after offset: Duration = .zero
    ) -> [BrokerAction] {
        var offer = WorkerOffer(credit: credit, heartbeatInterval: .seconds(1), name: "w-\(peer)")
        offer.acceptsShutdown = true
        return broker.receive(
            wire(try MDPCodec.encodeFromWorker(.ready(category: category, offer: offer))), from: peer, after: offset)
    }

    /// Sends SHUTDOWN from the client and returns the actions and the broker's decoded report.
    func shutdown(
        _ broker: inout BrokerHarness, _ request: ShutdownRequest, after offset: Duration = .zero
    ) throws -> ([BrokerAction], ShutdownReport) {
        let actions = broker.receive(try ClientMessage.shutdown(request).encoded, from: client, after: offset)
        guard case .batch(_, .report(let json)) = try #require(actions.sent(to: client).first) else {
            throw UnexpectedReply("expected a REPORT, got \(actions)")
        }
        return (actions, try JSONDecoder().decode(ShutdownReport.self, from: Data(json)))
    }

    @Test("tells workers that offered shutdown to stop, skips plain ones, and stops once the told ones have left")
    func stopsWholeCluster() throws {
        var broker = BrokerHarness()
        stoppableWorker(&broker, w1)
        broker.plainWorker(w2, category: "b")
        let running = try #require(broker.submit([task("a1")]).requests.first)
        let (actions, report) = try shutdown(&broker, ShutdownRequest())
        #expect(actions.sent(to: w1) == [.shutdown(.delimited, handBack: false)])
        #expect(actions.sent(to: w2).isEmpty)
        #expect(report == ShutdownReport(stopping: ["w-\(w1)"], skipped: ["\(w2)"], brokerStops: true))
        #expect(!broker.machine.hasFinishedShutdown)
        #expect(broker.submit([task("a2")]).requests.isEmpty, "a worker told to stop gets no more work")
        #expect(broker.final(running, outcome: .succeeded).results.map(\.id) == ["a1"])
        #expect(!broker.machine.hasFinishedShutdown, "the worker has not left yet")
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(broker.machine.hasFinishedShutdown, "the plain worker is not waited for")
    }

    @Test("a shutdown racing a dispatch: the REQUEST sent first is handed back with --now and runs elsewhere, once")
    func racesDispatch() throws {
        var broker = BrokerHarness()
        stoppableWorker(&broker, w1)
        let first = try #require(broker.submit([task("a1")]).requests.first)
        let (actions, report) = try shutdown(&broker, ShutdownRequest(category: "a", now: true))
        #expect(actions.sent(to: w1) == [.shutdown(.delimited, handBack: true)])
        #expect(!report.brokerStops)
        let back = broker.final(first, outcome: .handedBack, body: "worker shutting down")
        #expect(back.requeueReasons == ["handed_back"])
        #expect(back.requests.isEmpty)
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(!broker.machine.hasFinishedShutdown, "a category shutdown leaves the broker running")
        let retry = try #require(stoppableWorker(&broker, w3).requests.first, "a new worker of a is not told to stop")
        #expect(retry.header?.attempt == 1)
        #expect(broker.final(retry, outcome: .succeeded).results.map(\.attempts) == [1])
    }

    @Test("a worker that joins while the broker waits to stop is told to stop at once and gets no work")
    func latecomer() throws {
        var broker = BrokerHarness()
        stoppableWorker(&broker, w1)
        broker.submit([task("a1"), task("a2"), task("a3")])
        _ = try shutdown(&broker, ShutdownRequest())
        let joined = stoppableWorker(&broker, w3)
        #expect(joined.sent(to: w3).contains(.shutdown(.delimited, handBack: false)))
        #expect(joined.requests.isEmpty)
        _ = try shutdown(&broker, ShutdownRequest(now: true))
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(!broker.machine.hasFinishedShutdown)
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w3)
        #expect(broker.machine.hasFinishedShutdown)
    }

    @Test("a second request turns finishing into handing back, sent again only to workers still finishing")
    func escalates() throws {
        var broker = BrokerHarness()
        stoppableWorker(&broker, w1)
        _ = try shutdown(&broker, ShutdownRequest(workersOnly: true))
        let (again, _) = try shutdown(&broker, ShutdownRequest(workersOnly: true))
        #expect(again.sent(to: w1).isEmpty, "told once is enough")
        let (now, report) = try shutdown(&broker, ShutdownRequest(now: true, workersOnly: true))
        #expect(now.sent(to: w1) == [.shutdown(.delimited, handBack: true)])
        #expect(!report.brokerStops)
        broker.receive(try MDPCodec.encodeFromWorker(.disconnect), from: w1)
        #expect(!broker.machine.hasFinishedShutdown, "--workers-only keeps the broker")
    }

    @Test("with no worker that can be told, a broker-wide shutdown is finished at once")
    func nobodyToWaitFor() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w2, category: "a")
        let (_, report) = try shutdown(&broker, ShutdownRequest())
        #expect(report.stopping.isEmpty)
        #expect(broker.machine.hasFinishedShutdown)
    }

    @Test("the worker page shows a connection told to stop as stopping")
    func pageShowsStopping() throws {
        var broker = BrokerHarness()
        stoppableWorker(&broker, w1)
        _ = try shutdown(&broker, ShutdownRequest(category: "a"))
        let page = try #require(broker.machine.workerReport(named: "w-\(w1)", at: broker.t0))
        #expect(page.connections.map(\.state) == ["stopping"])
    }
}

/// The broker answered SHUTDOWN with something other than a REPORT.
struct UnexpectedReply: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
