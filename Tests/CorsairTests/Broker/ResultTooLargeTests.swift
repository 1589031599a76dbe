import Testing

@testable import Corsair

/// A batch task whose result is longer than a RESULT entry carries fails with `result_too_large` instead of stopping
/// the broker; the rest of its batch carries on. The limit is lowered to 10 bytes here; the wire's is 4 GiB less one.
@Suite struct ResultTooLargeTests {
    func harness() -> BrokerHarness {
        BrokerHarness { $0.maxResultBytes = 10 }
    }

    @Test("a result over the limit fails its task for good, naming both sizes; one at the limit is delivered")
    func failsTheTask() throws {
        var broker = harness()
        broker.corsairWorker(w1, category: "a", credit: 3)
        let requests = broker.submit([task("a1"), task("a2"), task("a3")]).requests
        #expect(requests.count == 3)
        let large = broker.final(requests[0], outcome: .succeeded, body: String(repeating: "x", count: 11))
        let failed = try #require(large.results.first)
        #expect(failed.id == "a1" && failed.outcome == .failed)
        let reason = String(decoding: failed.output, as: UTF8.self)
        #expect(reason == "result_too_large: the result is 11 bytes, over the 10 bytes a RESULT entry carries")
        #expect(
            large.events.contains(
                .taskFinished(id: "a1", category: "a", outcome: .failed, attempts: 1, reason: reason)))
        #expect(broker.machine.attempts(ofTask: "a1", session: [7]) == 1)
        let fits = broker.final(requests[1], outcome: .succeeded, body: String(repeating: "y", count: 10)).results
        #expect(fits.map(\.outcome) == [.succeeded])
        #expect(fits.first?.output == Array(String(repeating: "y", count: 10).utf8))
        #expect(
            broker.final(requests[2], outcome: .rejected, body: String(repeating: "e", count: 20)).results
                .map { String(decoding: $0.output, as: UTF8.self) }.first?.hasPrefix(
                    "result_too_large: the result is 20")
                == true)
    }

    @Test("a batching worker's RESULTS and a plain worker's frames count together against the limit")
    func batchesAndFrames() throws {
        var broker = harness()
        broker.corsairWorker(w1, category: "a", credit: 2, batching: true)
        let assigned = broker.submit([task("a1"), task("a2")]).batches.flatMap(\.tasks)
        #expect(assigned.count == 2)
        let answered = broker.results(
            [answer(assigned[0], .succeeded, String(repeating: "x", count: 11)), answer(assigned[1])], from: w1)
        #expect(answered.results.map(\.outcome) == [.failed, .succeeded])
        var plain = harness()
        plain.plainWorker(w2, category: "b")
        let request = try #require(plain.submit([task("b1")]).requests.first)
        let frames = [[UInt8]](repeating: Array("123456".utf8), count: 2)
        let reply = plain.receive(
            wire(try MDPCodec.encodeFromWorker(.final(envelope: request.envelope, body: frames))), from: w2)
        #expect(reply.results.map(\.outcome) == [.failed])
    }

    @Test("a plain MDP client's reply has no length field and is relayed whatever its size")
    func plainClientsUnaffected() throws {
        var broker = harness()
        broker.corsairWorker(w1, category: "echo", credit: 1)
        let request = try #require(
            broker.receive([MDP.clientHeader, [0x01], Array("echo".utf8), Array("p".utf8)], from: client).requests
                .first)
        let body = String(repeating: "z", count: 64)
        let replies = broker.final(request, outcome: .succeeded, body: body).sent(to: client)
        #expect(replies == [.reply(.rfc18, .rfc18, final: true, category: "echo", body: [Array(body.utf8)])])
    }
}
