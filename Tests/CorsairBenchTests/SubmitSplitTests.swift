import Corsair
import Testing

@testable import corsair_bench

/// The bench's SUBMITs stay far below the broker's default `--max-message-size` (16 MiB), whatever the window.
@Suite struct SubmitSplitTests {
    /// The broker's default limit on one message.
    private static let brokerLimit = BrokerConfiguration().maxMessageSize

    private static func bytes(_ message: [[UInt8]]) -> Int {
        message.reduce(0) { $0 + $1.count }
    }

    @Test("a window of 16 tasks of 1 MiB goes as 16 SUBMITs, each under an eighth of the broker's limit")
    func windowOfLargeTasks() throws {
        let payload = [UInt8](repeating: 1, count: 1 << 20)
        let messages = LoadGenerator.WindowedRun.submits(0..<16, category: "bench", session: [1, 2]) { _ in payload }
        #expect(messages.count == 16)
        var ids: [String] = []
        for message in messages {
            #expect(Self.bytes(try message.encoded) < Self.brokerLimit / 8)
            guard case .submit(_, let tasks) = message else {
                Issue.record("not a SUBMIT: \(message)")
                continue
            }
            ids += tasks.map(\.id)
        }
        #expect(ids == (0..<16).map { String($0) })
    }

    @Test("a window of small tasks still goes 1 000 to a SUBMIT, all of the window at once")
    func windowOfSmallTasks() {
        let messages = LoadGenerator.WindowedRun.submits(100..<2_600, category: "bench", session: [1]) { _ in [0] }
        let counts = messages.map { message -> Int in
            guard case .submit(_, let tasks) = message else { return 0 }
            return tasks.count
        }
        #expect(counts == [1000, 1000, 500])
    }

    @Test("a --clients batch of 1 MiB tasks is split the same way")
    func clientBurstBatch() throws {
        let burst = ClientBurst(endpoint: "tcp://127.0.0.1:1", clients: 1, tasksPerClient: 20, payloadSize: 1 << 20)
        let submits = try burst.submits(session: [9])
        #expect(submits.count == 20)
        #expect(submits.allSatisfy { Self.bytes($0) < Self.brokerLimit / 8 })
        let small = ClientBurst(endpoint: "tcp://127.0.0.1:1", clients: 1, tasksPerClient: 2_001, payloadSize: 64)
        #expect(try small.submits(session: [9]).count == 3)
    }
}
