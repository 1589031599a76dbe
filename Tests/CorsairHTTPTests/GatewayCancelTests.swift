import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `DELETE /v1/tasks/{id}`, `DELETE /v1/batches/{name}`, delayed tasks over HTTP, and cancelled tasks in /metrics.
@Suite struct GatewayCancelTests {
    @Test("a delayed task posted over HTTP is scheduled; DELETE cancels it, once, and 404s an unknown id")
    func cancelTask() async throws {
        try await GatewayHarness.run { _, client in
            let (posted, _) = try await client.json(
                .post, "/v1/tasks", body: #"[{"id": "t1", "category": "a", "payload": "x", "delay": "1h"}]"#)
            #expect(posted == .accepted)
            let (_, scheduled) = try await client.json(.get, "/v1/tasks?state=scheduled")
            let listed = try #require(scheduled as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == ["t1"])
            #expect(listed.first?["notBefore"] is Int)

            let (status, value) = try await client.json(.delete, "/v1/tasks/t1?batch=http")
            #expect(status == .ok)
            let answer = try #require(value as? [String: Any])
            #expect(answer["outcome"] as? String == "cancelled")
            #expect(answer["state"] as? String == "scheduled")
            let (_, shown) = try await client.json(.get, "/v1/tasks/t1")
            #expect((shown as? [String: Any])?["state"] as? String == "cancelled")

            let again = try await client.refusal(.delete, "/v1/tasks/t1")
            #expect(again.status == .conflict)
            #expect(again.error == "task 't1' has already finished: cancelled")
            let unknown = try await client.refusal(.delete, "/v1/tasks/nope?batch=http")
            #expect(unknown == Refusal(status: .notFound, error: "no task 'nope' in batch 'http'", field: "id"))
        }
    }

    @Test("DELETE /v1/batches/{name} cancels the batch's unfinished tasks only; /metrics counts them")
    func cancelBatch() async throws {
        try await GatewayHarness.run { _, client in
            let body =
                #"[{"id": "t1", "category": "a", "payload": "x"}, {"id": "t2", "category": "a", "payload": "y"}]"#
            _ = try await client.json(.post, "/v1/tasks?batch=nightly", body: body)
            _ = try await client.json(.post, "/v1/tasks?batch=other", body: body)
            let (status, value) = try await client.json(.delete, "/v1/batches/nightly")
            #expect(status == .ok)
            #expect((value as? [String: Any])?["cancelled"] as? Int == 2)
            let (_, other) = try await client.json(.get, "/v1/tasks?batch=other&state=queued")
            #expect((other as? [[String: Any]])?.count == 2)
            let ambiguous = try await client.refusal(.delete, "/v1/tasks/t1")
            #expect(ambiguous.status == .conflict)
            #expect(ambiguous.error == "task id 't1' is in batches nightly, other; name one with ?batch=")

            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"corsair_tasks_tracked{state="cancelled"} 2"#))
            #expect(metrics.contains("corsair_tasks_cancelled_total 2"))
            let page = try await client.execute(uri: "/", method: .get) { String(buffer: $0.body) }
            #expect(page.contains(#"cancelButton("cancel batch""#))
        }
    }
}
