import Foundation
import Logging
import Testing
import ZeroMQ

@testable import Corsair

/// The driver over a real ROUTER (inproc): a send that finds its peer gone is told to the machine only once the
/// ROUTER has been read, so a worker's last results are applied before the worker is dropped.
@Suite struct BrokerDriverUnreachableTests {
    let context: Context

    init() throws {
        context = try Context()
    }

    /// Waits until the ROUTER has taken down the pipe to `peer`, trying a send to it every millisecond for at most
    /// five seconds; returns whether it has. What is sent is lost with the peer.
    func waitUntilGone(_ peer: PeerID, from router: Socket) throws -> Bool {
        let clock = ContinuousClock()
        let giveUp = clock.now + .seconds(5)
        while clock.now < giveUp {
            do {
                try router.send([[0]], routingID: peer.bytes, blocking: false)
            } catch let error where error.code == .hostUnreachable {
                return true
            }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return false
    }

    @Test("a worker that sent its results and left has them applied, not requeued, when a send finds it gone")
    func resultsReadBeforeTheWorkerIsDropped() throws {
        let router = try Socket(context: context, type: .router)
        defer { router.close() }
        try SocketSetup.brokerRouter(maxMessageSize: 1 << 20).apply(to: router)
        try router.bind("inproc://driver-unreachable")
        let peer = PeerID([0x01])
        let worker = try Socket(context: context, type: .dealer)
        defer { worker.close() }
        try worker.setRoutingID(peer.bytes)
        try worker.connect("inproc://driver-unreachable")

        let start = ContinuousClock.now
        let machine = BrokerStateMachine(
            configuration: BrokerConfiguration(), anchor: WallClockAnchor(instant: start, unixMilliseconds: 1),
            now: start)
        var driver = BrokerDriver(
            machine: machine, router: router, logger: Logger(label: "test"), metrics: nil, access: nil,
            authMetrics: nil)
        let offer = WorkerOffer(credit: 1, heartbeatInterval: .seconds(1), name: "w", batching: true)
        try worker.send(try MDPCodec.encodeFromWorker(.ready(category: "echo", offer: offer)))
        while driver.machine.workerCount(category: "echo") == 0 {
            try driver.readRouter()
        }
        let (_, submitted) = driver.machine.submit(
            [TaskSpec(id: "t", category: "echo", payload: [1])], session: [7], at: start)
        driver.perform(submitted)
        let assigned = try #require(try nextAssignedTask(at: worker))
        try worker.send(try MDPCodec.encodeFromWorker(.results([answer(assigned, .succeeded, "done")])))
        worker.close()
        #expect(try waitUntilGone(peer, from: router))

        // The next heartbeat to the worker fails: its results are read first.
        driver.perform(driver.machine.tick(at: start + .seconds(2)))
        #expect(driver.unreachable == [peer])
        driver.settleUnreachable()
        #expect(driver.machine.state(ofTask: "t", session: [7]) == "succeeded")
        #expect(driver.machine.workerCount(category: "echo") == 0)
        #expect(driver.machine.statistics.requeued.isEmpty)
    }
}
