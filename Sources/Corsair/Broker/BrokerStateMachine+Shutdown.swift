import Foundation

/// Stopping the cluster from one place (`corsair shutdown`): SHUTDOWN to the workers, and the broker's own stop once
/// they have left.
extension BrokerStateMachine {
    /// What the broker was asked to stop: the mode later-joining workers get, and whether the broker stops too.
    struct ShutdownPlan {
        /// Whether workers hand their tasks back instead of finishing them.
        var handBack: Bool
        /// Whether the broker stops once every worker told to stop has left; while it waits, workers that join are
        /// told to stop at once.
        var stopsBroker: Bool
    }

    /// Whether the broker was told to stop and every worker it told to stop has left: its driver stops it now.
    public var hasFinishedShutdown: Bool {
        guard shutdownPlan?.stopsBroker == true else { return false }
        return !workers.values.contains { $0.isShuttingDown }
    }

    /// Handles SHUTDOWN from a batch client: tells the workers it names to stop, and answers REPORT with whom.
    ///
    /// A worker told to stop gets no more work from that moment, so no REQUEST follows the SHUTDOWN; a REQUEST
    /// already sent went before it on the same connection, and is finished or handed back like any task in flight.
    /// A second request can turn finishing into handing back, and a category shutdown into the broker's own stop.
    mutating func shutdownRequested(
        _ request: ShutdownRequest,
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if request.stopsBroker || shutdownPlan != nil {
            shutdownPlan = ShutdownPlan(
                handBack: request.now || shutdownPlan?.handBack == true,
                stopsBroker: request.stopsBroker || shutdownPlan?.stopsBroker == true)
        }
        var stopping: [WorkerRecord] = []
        var skipped: [WorkerRecord] = []
        let matching = workers.values.filter { request.category == nil || $0.category == request.category }
        for worker in matching.sorted(by: { ($0.category, $0.name) < ($1.category, $1.name) }) {
            if worker.acceptsShutdown {
                stopping.append(worker)
                tellToStop(worker, handBack: request.now, at: now)
            } else {
                skipped.append(worker)
            }
        }
        let report = ShutdownReport(
            stopping: stopping.map(\.name), skipped: skipped.map(\.name), brokerStops: shutdownPlan?.stopsBroker == true
        )
        emit(
            .shutdownRequested(
                category: request.category, handBack: request.now, stopping: stopping.count, skipped: skipped.count,
                brokerStops: report.brokerStops))
        actions.append(.send(.batch(framing, .report(Self.json(report))), to: peer))
    }

    /// Tells a worker that joins while the broker waits to stop to stop at once, in the mode the broker was given.
    mutating func stopIfShuttingDown(_ worker: WorkerRecord, at now: ContinuousClock.Instant) {
        guard let plan = shutdownPlan, plan.stopsBroker, worker.acceptsShutdown else { return }
        tellToStop(worker, handBack: plan.handBack, at: now)
    }

    /// Sends `worker` SHUTDOWN and takes it off its category's available list for good.
    private mutating func tellToStop(_ worker: WorkerRecord, handBack: Bool, at now: ContinuousClock.Instant) {
        guard !worker.isShuttingDown || handBack else { return }
        worker.isShuttingDown = true
        worker.isDraining = true
        send(.shutdown(worker.framing, handBack: handBack), to: worker, at: now)
    }

    private static func json(_ report: ShutdownReport) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(report)).map(Array.init) ?? Array("{}".utf8)
    }
}
