import Corsair
import Foundation
import Logging
import Testing

/// The library used from Swift: a broker, a worker with a closure and a batch client, all in this process.
@Suite(.tags(.integration), .timeLimit(.minutes(1)))
struct EmbeddedTests {
    let logger = Logger(label: "corsair.test")

    @Test("a closure worker serves a batch submitted through BatchClient to an in-process broker")
    func inProcessCluster() async throws {
        let broker = try BrokerLoop(
            configuration: BrokerConfiguration(), options: .init(endpoints: ["tcp://127.0.0.1:*"]), logger: logger)
        let (bound, reportBound) = AsyncStream.makeStream(of: [String].self)
        let brokerTask = Task { try await BrokerService(loop: broker) { reportBound.yield($0) }.run() }
        var endpoints = bound.makeAsyncIterator()
        let endpoint = try #require(await endpoints.next()?.first)

        let worker = try WorkerService(broker: endpoint, categories: ["shout"], concurrency: 4, logger: logger) {
            task in
            guard task.payload != Array("fail".utf8) else { throw TaskFailure("refused", isRetryable: false) }
            return Array(String(decoding: task.payload, as: UTF8.self).uppercased().utf8)
        }
        let workerTask = Task { try await worker.run() }

        let tasks = ["hello", "world", "fail"].map { TaskSpec(id: $0, category: "shout", payload: Array($0.utf8)) }
        var results: [String: TaskResult] = [:]
        for try await event in BatchClient(options: .init(broker: endpoint), logger: logger).run(tasks) {
            if case .results(let finished) = event {
                for result in finished {
                    results[result.id] = result
                }
            }
        }
        #expect(results["hello"].map { String(decoding: $0.output, as: UTF8.self) } == "HELLO")
        #expect(results["world"]?.outcome == .succeeded)
        #expect(results["fail"]?.outcome == .failed)
        #expect(results["fail"].map { String(decoding: $0.output, as: UTF8.self) } == "refused")

        workerTask.cancel()
        try await workerTask.value
        brokerTask.cancel()
        try await brokerTask.value
    }
}
