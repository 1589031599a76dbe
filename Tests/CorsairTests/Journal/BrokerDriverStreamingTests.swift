import Testing
import ZeroMQ

@testable import Corsair

/// A durable broker's driver hands a pass's records over in the middle of the pass once a RESULT message's worth of
/// results waits for them, and sends those results once they are committed, before the pass ends.
@Suite struct BrokerDriverStreamingTests {
    private static let many = JournalState.streamingResults + 44

    @Test("a RESULT message's worth of results is handed over mid-pass and leaves once committed, before the pass ends")
    func resultsLeaveMidPass() throws {
        var rig = try JournalDriverRig("inproc://streaming-many", credit: Self.many)
        defer { rig.close() }
        let ids = (0..<Self.many).map { "t\($0)" }
        try rig.submit(ids)
        try rig.endPass(at: .now)
        let accepted = rig.commits.count
        let handed = try #require(rig.driver.journal?.handedPass)

        let assigned = try rig.assignedTasks(Self.many)
        try rig.worker.send(try MDPCodec.encodeFromWorker(.results(assigned.map { answer($0) })))
        // Reading alone, without the hand-over that ends a pass.
        try rig.readUntil { $0.journal?.handedPass == handed + 1 }
        let state = try #require(rig.driver.journal)
        #expect(state.pending.isEmpty && state.awaitingSends.isEmpty)
        _ = state.writer.drain()
        #expect(rig.commits.count == accepted + 1)
        #expect(rig.commits.last?.filter { $0.kind == "finished" }.count == Self.many)

        // The next message read in the pass finds the commit and releases the results.
        try rig.worker.send(try MDPCodec.encodeFromWorker(.heartbeat))
        try rig.readUntil { $0.journal?.held.isEmpty == true }
        let results = try rig.replies().filter(\.isResults)
        #expect(results.count == 1, "the full RESULT message left without waiting for the pass to end")
    }

    @Test("fewer results wait for the pass's end, to be committed with the rest of its records")
    func fewResultsWaitForThePassEnd() throws {
        var rig = try JournalDriverRig("inproc://streaming-few", credit: 8)
        defer { rig.close() }
        let ids = (0..<8).map { "t\($0)" }
        try rig.submit(ids)
        try rig.endPass(at: .now)
        let handed = try #require(rig.driver.journal?.handedPass)

        let assigned = try rig.assignedTasks(8)
        try rig.worker.send(try MDPCodec.encodeFromWorker(.results(assigned.map { answer($0) })))
        try rig.readUntil { $0.journal?.awaitingResults == 8 }
        #expect(rig.driver.journal?.handedPass == handed)
        #expect(try rig.replies().filter(\.isResults).isEmpty)
        try rig.endPass(at: .now)
        #expect(try rig.replies().filter(\.isResults).count == 1)
    }
}
