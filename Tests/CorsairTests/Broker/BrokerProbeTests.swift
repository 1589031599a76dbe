import Testing

@testable import Corsair

/// A lost connection makes the broker probe every worker at once and again a few milliseconds later, at most one
/// round a spacing; a worker the probe cannot reach is dropped and its task goes to another.
@Suite struct BrokerProbeTests {
    @Test("probes every worker at once when the ROUTER loses a connection")
    func probesEveryWorker() {
        var broker = BrokerHarness()
        for peer in [w1, w2, w3] {
            broker.plainWorker(peer, category: "a")
        }
        let actions = broker.machine.connectionLost(at: broker.t0 + .milliseconds(100))
        #expect(actions.heartbeats.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) == [w1, w2, w3])
    }

    @Test("probes again once the follow-up delay has passed, then stops")
    func followUp() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let lost = broker.t0 + .milliseconds(100)
        #expect(broker.machine.connectionLost(at: lost).heartbeats == [w1])
        #expect(broker.machine.nextDeadline == lost + ProbeSchedule.followUp)
        #expect(broker.machine.tick(at: lost + .milliseconds(4)).heartbeats.isEmpty)
        #expect(broker.machine.tick(at: lost + ProbeSchedule.followUp).heartbeats == [w1])
        #expect(broker.machine.tick(at: lost + .milliseconds(20)).heartbeats.isEmpty)
        #expect(broker.machine.nextDeadline == broker.t0 + broker.machine.configuration.heartbeatInterval)
    }

    @Test("folds a storm of lost connections into one round a spacing, none starved")
    func coalesces() {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let start = broker.t0 + .milliseconds(100)
        var rounds: [Duration] = []
        // A connection lost every millisecond for 50 ms: 51 events.
        for millisecond in 0...50 {
            let now = start + .milliseconds(millisecond)
            if !broker.machine.connectionLost(at: now).heartbeats.isEmpty {
                rounds.append(now - start)
            }
        }
        for millisecond in 51...80 {
            let now = start + .milliseconds(millisecond)
            if !broker.tick(after: now - broker.t0).heartbeats.isEmpty {
                rounds.append(now - start)
            }
        }
        #expect(rounds == stride(from: 0, through: 55, by: 5).map { Duration.milliseconds($0) })
    }

    @Test("spaces rounds further apart with many workers, and the follow-up waits for the spacing")
    func spacingGrowsWithWorkers() {
        let t0 = ContinuousClock.now
        #expect(ProbeSchedule.spacing(workers: 10) == ProbeSchedule.followUp)
        #expect(ProbeSchedule.spacing(workers: 1000) == .milliseconds(50))
        var schedule = ProbeSchedule()
        schedule.connectionLost(at: t0, workers: 1000)
        let first = schedule.takeRound(at: t0, workers: 1000)
        #expect(first)
        #expect(schedule.due == t0 + .milliseconds(50))
        schedule.connectionLost(at: t0 + .milliseconds(10), workers: 1000)
        let early = schedule.takeRound(at: t0 + .milliseconds(49), workers: 1000)
        #expect(!early)
        let spaced = schedule.takeRound(at: t0 + .milliseconds(50), workers: 1000)
        #expect(spaced)
        #expect(schedule.due == nil)
    }

    @Test("requeues the task of a worker whose probe fails to another worker")
    func failedProbeRequeues() throws {
        var broker = BrokerHarness()
        broker.plainWorker(w1, category: "a")
        let first = try #require(broker.submit([task("a1")]).requests.first)
        #expect(first.worker == w1)
        broker.plainWorker(w2, category: "a", after: .milliseconds(10))
        let lost = broker.t0 + .milliseconds(100)
        #expect(Set(broker.machine.connectionLost(at: lost).heartbeats) == [w1, w2])
        // The driver's send to the killed worker fails with EHOSTUNREACH.
        let actions = broker.machine.peerUnreachable(w1, at: lost)
        #expect(
            actions.events.contains(
                .workerLeft(peer: w1, name: "\(w1)", category: "a", reason: .unreachable, inFlight: 1)))
        #expect(actions.requeueReasons == ["worker_lost"])
        let retry = try #require(actions.requests.first)
        #expect(retry.worker == w2)
        #expect(retry.payload == "a1")
        #expect(retry.token?.attempt == 2)
        // The follow-up probes the worker left.
        #expect(broker.machine.tick(at: lost + ProbeSchedule.followUp).heartbeats == [w2])
    }
}

extension [BrokerAction] {
    /// The workers sent a HEARTBEAT.
    fileprivate var heartbeats: [PeerID] {
        compactMap {
            guard case .send(.heartbeat, let peer) = $0 else { return nil }
            return peer
        }
    }
}
