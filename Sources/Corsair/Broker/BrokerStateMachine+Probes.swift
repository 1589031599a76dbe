/// Probing the workers when the ROUTER loses a connection, so a killed worker is found in milliseconds rather than
/// at its next heartbeat.
///
/// The kernel closes a dead process's connections at once, and the ROUTER's monitor reports it; but the report
/// names no peer, and a client's connection ends the same way. So the machine heartbeats every worker: the driver
/// sends with ROUTER_MANDATORY, the send to the dead one fails and is reported with
/// ``peerUnreachable(_:at:)``, which drops the worker and requeues its tasks. ``ProbeSchedule`` decides when rounds
/// run: one at once, a follow-up a few milliseconds later (the ROUTER may still hold the peer's pipe when the event
/// arrives), and no more than one a spacing however many connections end.
extension BrokerStateMachine {
    /// Reports that the ROUTER lost a connection (its monitor saw `ZMQ_EVENT_DISCONNECTED`). The driver must first
    /// read every message waiting on the ROUTER: a worker's last results, sent just before it exited, would otherwise
    /// still be unread when the probe finds it gone.
    public mutating func connectionLost(at now: ContinuousClock.Instant) -> [BrokerAction] {
        probes.connectionLost(at: now, workers: workers.count)
        probeIfDue(at: now)
        return takeActions()
    }

    /// Heartbeats every worker when a probe round is due.
    mutating func probeIfDue(at now: ContinuousClock.Instant) {
        guard probes.takeRound(at: now, workers: workers.count) else { return }
        for worker in workers.values {
            sendHeartbeat(to: worker, at: now)
        }
    }
}
