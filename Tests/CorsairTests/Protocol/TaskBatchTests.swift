import Testing

@testable import Corsair

@Suite struct TaskBatchTests {
    let tasks = [
        AssignedTask(
            token: AssignmentToken(task: TaskKey(rawValue: 1 << 40), attempt: 2), id: "tâche-1",
            timeout: .milliseconds(1500), payload: Array("payload".utf8)),
        AssignedTask(
            token: AssignmentToken(task: TaskKey(rawValue: 9), attempt: 1), id: "b", timeout: .seconds(60), payload: []),
    ]
    let results = [
        WorkerResult(
            token: AssignmentToken(task: TaskKey(rawValue: 3), attempt: 1), outcome: .succeeded, output: [1, 2, 3]),
        WorkerResult(
            token: AssignmentToken(task: TaskKey(rawValue: 4), attempt: 5), outcome: .rejected, output: Array("no".utf8)
        ),
    ]

    @Test("round-trips TASKS and RESULTS through the codec, empty batches included")
    func roundTrips() throws {
        let down = try MDPCodec.encode(.tasks(.delimited, tasks))
        #expect(down.count == 4)
        #expect(try MDPCodec.decodeAtWorker(down) == .tasks(tasks))
        #expect(try MDPCodec.decodeAtWorker(MDPCodec.encode(.tasks(.rfc18, []))) == .tasks([]))
        let up = try MDPCodec.encodeFromWorker(.results(results))
        #expect(up.count == 4)
        #expect(try MDPCodec.decodeAtBroker(up) == .worker(.results(results), .delimited))
    }

    @Test(
        "refuses damaged batches, naming the frame and what is wrong",
        arguments: [
            (Array([UInt8]([1, 0, 0, 0, 1]) + [0, 0, 0, 0, 0, 0, 0, 1]), "truncated"),
            ([2, 0, 0, 0, 0], "version 2"),
            ([1, 0xFF, 0xFF, 0xFF, 0xFF], "count 4294967295"),
            ([1, 0, 0, 0, 0, 7], "1 unexpected bytes"),
        ] as [([UInt8], String)])
    func refusesDamage(frame: [UInt8], expected: String) throws {
        let tasks = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtWorker([MDP.workerHeader, [TaskBatch.tasksCommand], frame])
        }
        #expect(tasks.frame == 2)
        #expect(tasks.message.contains(expected))
        let results = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtBroker([[], MDP.workerHeader, [TaskBatch.resultsCommand], frame])
        }
        #expect(results.frame == 3)
        #expect(results.message.contains(expected))
    }

    @Test("refuses a result with an unknown outcome and a RESULTS message with extra frames")
    func refusesBadResults() throws {
        var frame = try TaskBatch.encode(results)
        frame[5 + 12] = 9
        let outcome = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtBroker([MDP.workerHeader, [TaskBatch.resultsCommand], frame])
        }
        #expect(outcome.message.contains("result 0 has outcome 9"))
        let extra = try #require(throws: ProtocolError.self) {
            try MDPCodec.decodeAtBroker([MDP.workerHeader, [TaskBatch.resultsCommand], TaskBatch.encode(results), []])
        }
        #expect(extra.message.contains("exactly one frame"))
    }

    @Test("offers and acknowledges batches as key=value lines that older peers skip")
    func negotiation() throws {
        let offer = WorkerOffer(credit: 3, heartbeatInterval: .seconds(2), name: "w", batching: true)
        #expect(try WorkerOffer(decoding: offer.encoded, frame: 4, of: 5) == offer)
        let acknowledgement = try MDPCodec.encode(.heartbeat(.rfc18, acknowledgement: .seconds(2), batchBytes: 4096))
        #expect(
            try MDPCodec.decodeAtWorker(acknowledgement)
                == .heartbeat(extensionAccepted: true, brokerInterval: .seconds(2), batchBytes: 4096))
        let plain = try MDPCodec.encode(.heartbeat(.rfc18, acknowledgement: .seconds(2)))
        #expect(
            try MDPCodec.decodeAtWorker(plain)
                == .heartbeat(extensionAccepted: true, brokerInterval: .seconds(2), batchBytes: nil))
        // Without batch-bytes, or with more than a batch may hold, the worker keeps to the batch limit.
        for lines in ["batch=1", "batch=1\nbatch-bytes=99999999"] {
            #expect(
                try MDPCodec.decodeAtWorker([MDP.workerHeader, [0x05], WorkerExtension.marker, Array(lines.utf8)])
                    == .heartbeat(extensionAccepted: true, brokerInterval: nil, batchBytes: TaskBatch.limit.bytes))
        }
    }
}
