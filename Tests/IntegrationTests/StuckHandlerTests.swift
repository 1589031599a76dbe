import Corsair
import Foundation
import Logging
import Synchronization
import Testing

/// A closure handler that ignores cancellation and never returns: past its deadline the worker reports `timeout`
/// and gives the slot back, so the next task runs on the same worker.
///
/// Other tests of this process may hold the cooperative threads for a while (they wait synchronously on processes),
/// so the second task's deadline and the client's wait are generous; without the slot given back it never runs.
@Suite(.tags(.integration), .timeLimit(.minutes(2)))
struct StuckHandlerTests {
    let logger = Logger(label: "corsair.test")

    /// Holds the stuck handler's continuation so that the test can let it go at the end.
    final class Stuck: Sendable {
        let continuation = Mutex<CheckedContinuation<Void, Never>?>(nil)

        func wait() async {
            await withCheckedContinuation { continuation in
                self.continuation.withLock { $0 = continuation }
            }
        }

        func release() {
            continuation.withLock { $0?.resume() }
        }
    }

    @Test("a handler that never returns fails its task with timeout and frees its slot for the next task")
    func neverReturns() async throws {
        var configuration = BrokerConfiguration()
        configuration.taskTimeout = .milliseconds(300)
        configuration.maxAttempts = 1
        let broker = try BrokerLoop(
            configuration: configuration, options: .init(endpoints: ["tcp://127.0.0.1:*"]), logger: logger)
        let (bound, reportBound) = AsyncStream.makeStream(of: [String].self)
        let brokerTask = Task { try await BrokerService(loop: broker) { reportBound.yield($0) }.run() }
        var endpoints = bound.makeAsyncIterator()
        let endpoint = try #require(await endpoints.next()?.first)
        let stuck = Stuck()
        let worker = try WorkerService(broker: endpoint, categories: ["s"], concurrency: 1, logger: logger) { task in
            if task.payload == Array("stuck".utf8) {
                await stuck.wait()
            }
            return task.payload
        }
        let workerTask = Task { try await worker.run() }

        var results: [String: TaskResult] = [:]
        for id in ["stuck", "next"] {
            let timeout: Duration = id == "next" ? .seconds(60) : .milliseconds(300)
            let spec = TaskSpec(id: id, category: "s", payload: Array(id.utf8), timeout: timeout)
            var options = BatchClient.Options(broker: endpoint)
            options.timeout = .seconds(80)
            for try await event in BatchClient(options: options, logger: logger).run([spec]) {
                if case .results(let finished) = event {
                    finished.forEach { results[$0.id] = $0 }
                }
            }
        }
        #expect(results["stuck"]?.outcome == .failed)
        #expect(results["stuck"].map { String(decoding: $0.output, as: UTF8.self).hasPrefix("timeout") } == true)
        #expect(results["next"].map { String(decoding: $0.output, as: UTF8.self) } == "next")

        stuck.release()
        workerTask.cancel()
        try await workerTask.value
        brokerTask.cancel()
        try await brokerTask.value
    }
}
