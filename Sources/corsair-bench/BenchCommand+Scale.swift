import Corsair
import Foundation

/// The scale measurements that replace the comparison: `--preload` and `--idle-workers`.
extension BenchCommand {
    /// Each worker's credit in the --preload measurement.
    static let preloadCredit = 250

    /// Runs the measurement asked for ``runs`` times and returns each figure's values, by its JSON key.
    func runScale() async throws -> [String: [Double]] {
        var figures: [String: [Double]] = [:]
        for _ in 0..<runs {
            if let preload {
                let run = try await runPreload(preload)
                figures["queued_rss_mb", default: []].append(run.residentMB)
                figures["dispatch_tasks_per_second", default: []].append(run.perSecond)
                figures["dispatch_broker_cpu_us_per_task", default: []].append(run.cpuMicroseconds)
                if !run.queued.isEmpty {
                    let queued = Spread(run.queued.map(Double.init))
                    figures["dispatch_queued_median", default: []].append(queued.median)
                    figures["dispatch_queued_min", default: []].append(queued.minimum)
                }
            }
            if let idleWorkers {
                figures["broker_cpu_percent", default: []].append(try await runIdle(idleWorkers))
            }
        }
        return figures
    }

    /// What one --preload run measured.
    private struct PreloadFigures {
        /// The broker's resident memory with the queue, idle.
        var residentMB: Double
        /// The dispatch rate with the queue: it also depends on how fast the client refills the queue.
        var perSecond: Double
        /// The broker's CPU time per task while dispatching, which depends on the broker only.
        var cpuMicroseconds: Double
        /// The broker's queue depth, sampled while dispatching.
        var queued: [Int]
    }

    /// Queues `depth` tasks, plus the workers' credit, before any worker exists; then has K credit workers run
    /// ``tasks`` more with about `depth` kept waiting in the broker while the workers are full.
    private func runPreload(_ depth: Int) async throws -> PreloadFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker()
        let brokerID = broker.processIdentifier
        let generator = LoadGenerator(
            endpoint: endpoint, wire: .corsairBatch(category: "bench"), payloadSize: bytes, window: window)
        var resident = 0.0
        let outcome = try await generator.runPreloaded(
            depth: depth, credit: workerCount * Self.preloadCredit, count: tasks,
            brokerCPU: { try ProcessUsage(of: brokerID).cpu }
        ) {
            // The broker hands freed memory back after 5 s idle; measure what the queue itself holds.
            try await Task.sleep(for: .seconds(7))
            resident = Double(try ProcessUsage(of: brokerID).resident) / 1_048_576
            for _ in 0..<workerCount {
                try processes.startEchoWorker(endpoint, credit: Self.preloadCredit)
            }
        }
        return PreloadFigures(
            residentMB: resident, perSecond: Double(outcome.count) / (outcome.elapsed / .seconds(1)),
            cpuMicroseconds: (outcome.brokerCPU / .microseconds(1)) / Double(outcome.count), queued: outcome.queued)
    }

    /// The most idle workers one peer process holds: more are spread over several processes, as a real fleet would be.
    static let idleWorkersPerProcess = 1000

    /// Connects `count` idle workers, in processes of up to ``idleWorkersPerProcess``, and measures the broker's CPU
    /// over 10 s.
    private func runIdle(_ count: Int) async throws -> Double {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker()
        let peers = (count + Self.idleWorkersPerProcess - 1) / Self.idleWorkersPerProcess
        for peer in 0..<peers {
            let share = count * (peer + 1) / peers - count * peer / peers
            try processes.startPeer(["idle-workers", endpoint, "--count", "\(share)", "--category", "idle"])
        }
        try await waitUntilRegistered(
            count, at: endpoint, within: .seconds(60), polling: .milliseconds(100),
            else: "the idle workers did not all register")
        let before = try ProcessUsage(of: broker.processIdentifier)
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(10))
        let after = try ProcessUsage(of: broker.processIdentifier)
        return (after.cpu - before.cpu) / (ContinuousClock.now - start) * 100
    }
}
