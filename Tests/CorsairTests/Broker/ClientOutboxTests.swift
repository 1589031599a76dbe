import Testing

@testable import Corsair

@Suite struct ClientOutboxTests {
    let t0 = ContinuousClock.now

    func result(_ id: String, bytes: Int = 1) -> TaskResult {
        TaskResult(
            id: id, category: "a", outcome: .succeeded, attempts: 1, worker: "w", started: 1, finished: 2,
            output: [UInt8](repeating: 0, count: bytes))
    }

    @Test("holds an acknowledgement until a result can carry it, sends it first, and leaves out ids the results answer")
    func acknowledgementTravelsWithResult() {
        var outbox = ClientOutbox()
        #expect(outbox.hold(accepted: ["a1", "a2"], framing: .rfc18, for: client, at: t0).isEmpty)
        #expect(outbox.due(at: t0 + .milliseconds(5)).isEmpty)
        #expect(outbox.nextDeadline == t0 + ClientOutbox.acknowledgementDelay)
        #expect(outbox.hold(results: [result("a1")], framing: .rfc18, for: client).isEmpty)
        let due = outbox.due(at: t0 + .milliseconds(5))
        #expect(due.map(\.0) == [client])
        #expect(due.first?.1 == [.batch(.rfc18, .accepted(["a2"])), .batch(.rfc18, .results([result("a1")]))])
        _ = outbox.hold(accepted: ["a3"], framing: .rfc18, for: client, at: t0)
        _ = outbox.hold(results: [result("a3")], framing: .rfc18, for: client)
        #expect(outbox.due(at: t0).first?.1 == [.batch(.rfc18, .results([result("a3")]))])
        #expect(outbox.nextDeadline == nil)
        #expect(outbox.due(at: t0 + .seconds(1)).isEmpty)
    }

    @Test("sends an acknowledgement alone once it has waited the delay")
    func acknowledgementAlone() {
        var outbox = ClientOutbox()
        _ = outbox.hold(accepted: ["a1"], framing: .delimited, for: client, at: t0)
        _ = outbox.hold(accepted: ["a2"], framing: .delimited, for: client, at: t0 + .milliseconds(10))
        #expect(outbox.due(at: t0 + ClientOutbox.acknowledgementDelay - .nanoseconds(1)).isEmpty)
        let due = outbox.due(at: t0 + ClientOutbox.acknowledgementDelay)
        #expect(due.first?.1 == [.batch(.delimited, .accepted(["a1", "a2"]))])
    }

    @Test("releases everything held for a client, acknowledgements first, before another message to it")
    func releaseKeepsOrder() {
        var outbox = ClientOutbox()
        _ = outbox.hold(results: [result("a0")], framing: .rfc18, for: client)
        _ = outbox.hold(accepted: ["a1"], framing: .rfc18, for: client, at: t0)
        _ = outbox.hold(accepted: ["b1"], framing: .rfc18, for: w1, at: t0)
        #expect(
            outbox.release(client) == [.batch(.rfc18, .accepted(["a1"])), .batch(.rfc18, .results([result("a0")]))])
        #expect(outbox.release(client).isEmpty)
        #expect(outbox.due(at: t0, everything: true).map(\.0) == [w1])
    }

    @Test("sends a batch as soon as it reaches the result or acknowledgement limit")
    func limits() throws {
        var outbox = ClientOutbox()
        let many = (1...ClientOutbox.resultLimit.count).map { result("r\($0)") }
        #expect(outbox.hold(results: Array(many.dropLast()), framing: .rfc18, for: client).isEmpty)
        let last = try #require(many.last)
        #expect(outbox.hold(results: [last], framing: .rfc18, for: client) == [.batch(.rfc18, .results(many))])
        let big = result("big", bytes: ClientOutbox.resultLimit.bytes)
        #expect(outbox.hold(results: [big], framing: .rfc18, for: client) == [.batch(.rfc18, .results([big]))])
        let ids = (1...ClientProtocol.maximumTasksPerSubmit).map { "t\($0)" }
        #expect(outbox.hold(accepted: ids, framing: .rfc18, for: client, at: t0) == [.batch(.rfc18, .accepted(ids))])
        #expect(outbox.due(at: t0, everything: true).isEmpty)
    }
}
