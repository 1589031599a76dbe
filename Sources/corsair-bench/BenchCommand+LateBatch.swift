import Corsair
import Foundation

/// The `--late-batch` measurement: a small batch of a second client submitted while a big batch is under way.
extension BenchCommand {
    /// What one `--late-batch` run measured.
    struct LateBatchFigures {
        /// The small batch's time, from its first task sent, on a connection already up, to its last result back.
        var lateBatchMilliseconds: Double
        /// The big batch's tasks per second alone, then with the small batch beside it.
        var alonePerSecond: Double
        var withLatePerSecond: Double
    }

    /// Runs the `--late-batch` measurement ``runs`` times and returns each figure's values, by its JSON key.
    func runLateBatches(_ count: Int) async throws -> [String: [Double]] {
        var figures: [String: [Double]] = [:]
        for _ in 0..<runs {
            let run = try await runLateBatch(count)
            figures["late_batch_ms", default: []].append(run.lateBatchMilliseconds)
            figures["big_batch_tasks_per_second_alone", default: []].append(run.alonePerSecond)
            figures["big_batch_tasks_per_second_with_late", default: []].append(run.withLatePerSecond)
            figures["big_batch_throughput_ratio", default: []].append(run.withLatePerSecond / run.alonePerSecond)
        }
        return figures
    }

    /// On one cluster of K credit workers: ``tasks`` tasks with ``window`` in flight alone, then again with `count`
    /// tasks of a second client (its own session, all sent at once) submitted a quarter of the first run's time in.
    private func runLateBatch(_ count: Int) async throws -> LateBatchFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (_, endpoint) = try await startEchoCluster(processes)
        let big = LoadGenerator(
            endpoint: endpoint, wire: .corsairBatch(category: "bench"), payloadSize: bytes, window: window)
        var late = LoadGenerator(
            endpoint: endpoint, wire: .corsairBatch(category: "bench"), payloadSize: bytes, window: count)
        late.connectsFirst = true
        _ = try await big.run(tasks: warmUp)
        _ = try await late.run(tasks: count)
        let alone = try await big.run(tasks: tasks)
        async let shared = big.run(tasks: tasks)
        try await Task.sleep(for: alone.elapsed / 4)
        let small = try await late.run(tasks: count)
        let beside = try await shared
        return LateBatchFigures(
            lateBatchMilliseconds: small.elapsed / .milliseconds(1),
            alonePerSecond: Double(alone.count) / (alone.elapsed / .seconds(1)),
            withLatePerSecond: Double(beside.count) / (beside.elapsed / .seconds(1)))
    }
}
