import CorsairTestSupport
import Foundation
import Testing

/// Fair shares between batches with the real binaries: a small batch behind a big one, and the per-client limit.
@Suite(.tags(.integration), .timeLimit(.minutes(2)), .serialized)
struct FairShareTests {
    @Test("a small batch submitted behind a big one on slow workers has all its results while the big one still runs")
    func smallBatchOvertakes() throws {
        let harness = try ProcessHarness()
        let (_, endpoint) = try harness.startBroker()
        try harness.startWorker(endpoint, category: "sim", ["--simulate", "100ms", "--concurrency", "2"])
        let bigCount = 100
        let big = harness.path("big.jsonl")
        try Self.batch(bigCount, prefix: "big").write(to: big, atomically: true, encoding: .utf8)
        let bigRun = try harness.start(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "big", "--json", big.path])
        try harness.waitUntil("the big batch is under way") {
            bigRun.output.split(separator: "\n").count >= 2 || !bigRun.process.isRunning
        }
        try #require(bigRun.process.isRunning, "the big batch ended before the small one was submitted")

        let small = harness.path("small.jsonl")
        try Self.batch(5, prefix: "small").write(to: small, atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        let smallRun = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "small", "--json", small.path])
        let took = ContinuousClock.now - started
        let bigDone = bigRun.output.split(separator: "\n").count
        print("fair share: the 5-task batch took \(took); \(bigDone) of \(bigCount) big results were back by then")
        #expect(smallRun.status == 0, "small batch: \(smallRun.errors)")
        #expect(smallRun.output.split(separator: "\n").count == 5)
        #expect(bigRun.process.isRunning, "the big batch finished first: the small one waited behind it")
        #expect(bigDone < bigCount)
    }

    @Test("past --max-queued-per-client a submission is rejected with client_queue_full and corsair submit exits 75")
    func perClientLimit() throws {
        let harness = try ProcessHarness()
        let (_, endpoint) = try harness.startBroker(["--max-queued-per-client", "5"])
        let tasks = harness.path("tasks.jsonl")
        try Self.batch(8, prefix: "t").write(to: tasks, atomically: true, encoding: .utf8)
        let refused = try harness.run(
            binary: "corsair", ["submit", "--broker", endpoint, "--batch", "one", tasks.path])
        #expect(refused.status == 75, "client_queue_full exits EX_TEMPFAIL: \(refused.errors)")
        #expect(refused.errors.contains("client_queue_full"))
        let listed = try harness.run(
            binary: "corsair", ["tasks", "--broker", endpoint, "--batch", "one", "--json", "--limit", "100"])
        let queued = try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [Any]
        #expect(queued?.count == 5, "the tasks that fit stay queued: \(listed.output)")
    }

    private static func batch(_ count: Int, prefix: String) -> String {
        (1...count).map { #"{"id":"\#(prefix)\#($0)","category":"sim","payload":"x"}"# }.joined(separator: "\n") + "\n"
    }
}
