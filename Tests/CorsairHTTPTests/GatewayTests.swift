import Corsair
import CorsairHTTP
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite("HTTP gateway", .timeLimit(.minutes(1)))
struct GatewayTests {
    @Test("POST /v1/tasks takes one task or an array, gives ids to tasks without one, and de-duplicates by batch")
    func submit() async throws {
        try await GatewayHarness.run { _, client in
            let (status, value) = try await client.json(
                .post, "/v1/tasks",
                body:
                    #"[{"id": "t1", "category": "a", "payload": "x"}, {"category": "a", "payload": "y", "priority": 5}]"#
            )
            #expect(status == .accepted)
            let answer = try #require(value as? [String: Any])
            let accepted = try #require(answer["accepted"] as? [String])
            try #require(accepted.count == 2, "\(accepted)")
            #expect(accepted.first == "t1")
            let generated = try #require(accepted.last)
            #expect(UUID(uuidString: generated) != nil, "a task without id gets a UUID, got \(generated)")
            #expect(answer["batch"] as? String == "http")
            #expect(answer["duplicates"] as? Int == 0)

            let (_, again) = try await client.json(
                .post, "/v1/tasks", body: #"{"id": "t1", "category": "a", "payload": "x"}"#)
            #expect((again as? [String: Any])?["duplicates"] as? Int == 1)
            let (_, other) = try await client.json(
                .post, "/v1/tasks?batch=nightly", body: #"{"id": "t1", "category": "a", "payload": "x"}"#)
            #expect((other as? [String: Any])?["duplicates"] as? Int == 0, "another batch may reuse the id")

            let (_, queued) = try await client.json(.get, "/v1/tasks?state=queued&category=a")
            #expect((queued as? [[String: Any]])?.count == 3)
            let (_, nightly) = try await client.json(.get, "/v1/tasks?batch=nightly")
            #expect((nightly as? [[String: Any]])?.map { $0["batch"] as? String } == ["nightly"])
        }
    }

    @Test(
        "POST /v1/tasks refuses bad bodies with a 4xx naming the field and queues nothing",
        arguments: [
            ("{nope", Refusal(status: .badRequest, error: "body is not valid JSON", field: "body")),
            ("[]", Refusal(status: .badRequest, error: "body holds no tasks", field: "body")),
            (
                #"[{"category": "a", "payload": "x"}, 7]"#,
                Refusal(status: .badRequest, error: "tasks[1]: must be a JSON object", field: "tasks", index: 1)
            ),
            (
                #"[{"category": "a", "payload": "x"}, {"category": "a"}]"#,
                Refusal(
                    status: .badRequest, error: "tasks[1]: missing required field 'payload'", field: "payload", index: 1
                )
            ),
            (
                #"{"category": "a b", "payload": "x"}"#,
                Refusal(status: .badRequest, error: "invalid category 'a b'", field: "category")
            ),
            (
                #"{"category": "a", "payload": "x", "colour": "red"}"#,
                Refusal(status: .badRequest, error: "unknown field 'colour'", field: "colour")
            ),
            (
                #"{"category": "a", "payload": "x", "max_attempts": 0}"#,
                Refusal(
                    status: .badRequest, error: "field 'max_attempts' must be between 1 and 100", field: "max_attempts")
            ),
            (
                #"{"category": "a", "payload": "x", "timeout": "soon"}"#,
                Refusal(status: .badRequest, error: "field 'timeout' is not a valid duration", field: "timeout")
            ),
            (
                #"[{"id": "d", "category": "a", "payload": "x"}, {"id": "d", "category": "a", "payload": "y"}]"#,
                Refusal(status: .badRequest, error: "tasks[1]: duplicate id 'd'", field: "id", index: 1)
            ),
        ])
    func refusesBadBodies(body: String, expected: Refusal) async throws {
        try await GatewayHarness.run { harness, client in
            let refusal = try await client.refusal(.post, "/v1/tasks", body: body)
            #expect(refusal.status == expected.status)
            #expect(refusal.error.hasPrefix(expected.error), "\(refusal.error)")
            #expect(refusal.field == expected.field)
            #expect(refusal.index == expected.index)
            let submitted = try await harness.loop.status().submitted
            #expect(submitted == 0)
        }
    }

    @Test("GET routes refuse unknown parameters and bad values, naming them; unknown routes answer JSON 404")
    func refusesBadQueries() async throws {
        try await GatewayHarness.run { _, client in
            let state = try await client.refusal(.get, "/v1/tasks?state=lost")
            #expect(
                state
                    == Refusal(
                        status: .badRequest,
                        error:
                            "state must be one of scheduled, queued, running, succeeded, failed, cancelled, got 'lost'",
                        field: "state"))
            let zero = try await client.refusal(.get, "/v1/tasks?limit=0")
            #expect(zero.field == "limit")
            let word = try await client.refusal(.get, "/v1/tasks?limit=ten")
            #expect(word.field == "limit")
            let unknown = try await client.refusal(.get, "/v1/tasks?colour=red")
            #expect(
                unknown
                    == Refusal(
                        status: .badRequest,
                        error: "unknown query parameter 'colour' (expected state, category, batch, limit)",
                        field: "colour"))
            let batch = try await client.refusal(.post, "/v1/tasks?batch=a%20b", body: "{}")
            #expect(batch.field == "batch")
            let missing = try await client.refusal(.get, "/v1/tasks/missing")
            #expect(missing == Refusal(status: .notFound, error: "no task 'missing'", field: "id"))
            let route = try await client.refusal(.delete, "/v1/tasks")
            #expect(route == Refusal(status: .notFound, error: "no route DELETE /v1/tasks"))
        }
    }

    @Test("a task posted over HTTP runs on a real worker and GET /v1/tasks/{id} shows its result")
    func runsOnWorker() async throws {
        try await GatewayHarness.run { harness, client in
            let worker = try WorkerService(
                broker: harness.endpoint, categories: ["shout"], logger: Logger(label: "corsair.test")
            ) { task in
                guard task.payload != Array("fail".utf8) else { throw TaskFailure("refused", isRetryable: false) }
                return Array(String(decoding: task.payload, as: UTF8.self).uppercased().utf8)
            }
            let workerTask = Task { try await worker.run() }
            defer { workerTask.cancel() }
            let (status, _) = try await client.json(
                .post, "/v1/tasks",
                body:
                    #"[{"id": "hi", "category": "shout", "payload": "hello"}, {"id": "no", "category": "shout", "payload": "fail"}]"#
            )
            #expect(status == .accepted)

            let deadline = ContinuousClock.now + .seconds(10)
            var finished: [[String: Any]] = []
            while finished.count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                let (_, list) = try await client.json(.get, "/v1/tasks?category=shout")
                finished = (list as? [[String: Any]] ?? []).filter {
                    ["succeeded", "failed"].contains($0["state"] as? String)
                }
            }
            let (_, hi) = try await client.json(.get, "/v1/tasks/hi")
            #expect((hi as? [String: Any])?["state"] as? String == "succeeded")
            #expect((hi as? [String: Any])?["result"] as? String == "HELLO")
            let (_, no) = try await client.json(.get, "/v1/tasks/no?batch=http")
            #expect((no as? [String: Any])?["state"] as? String == "failed")
            #expect((no as? [String: Any])?["result"] as? String == "refused")

            let (_, workers) = try await client.json(.get, "/v1/workers")
            #expect((workers as? [[String: Any]])?.first?["category"] as? String == "shout")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("corsair_tasks_submitted_total 2"))
            #expect(metrics.contains("corsair_tasks_succeeded_total 1"))
            #expect(metrics.contains("corsair_tasks_failed_total 1"))
            #expect(metrics.contains(#"corsair_category_workers{category="shout"} 1"#))
            #expect(metrics.contains("corsair_dispatch_latency_seconds_count 2"))
        }
    }

    @Test("GET /healthz, /v1/status and / answer while the broker runs; the API answers 503 once it stopped")
    func healthAndDashboard() async throws {
        try await GatewayHarness.run { harness, client in
            let (health, value) = try await client.json(.get, "/healthz")
            #expect(health == .ok)
            #expect((value as? [String: Any])?["status"] as? String == "ok")
            let (_, status) = try await client.json(.get, "/v1/status")
            #expect((status as? [String: Any])?["submitted"] as? Int == 0)
            let page = try await client.execute(uri: "/", method: .get) {
                ($0.status, $0.headers[.contentType], String(buffer: $0.body))
            }
            #expect(page.0 == .ok)
            #expect(page.1 == "text/html; charset=utf-8")
            #expect(page.2.contains("<title>Corsair broker</title>"))

            harness.loop.requestStop()
            try await harness.loop.finished()
            let stopped = try await client.refusal(.get, "/v1/status")
            #expect(stopped.status == .serviceUnavailable)
            let unhealthy = try await client.refusal(.get, "/healthz")
            #expect(unhealthy.status == .serviceUnavailable)
        }
    }
}

@Suite("--http address")
struct HTTPAddressTests {
    @Test(
        "parses host and port, IPv6 in brackets",
        arguments: [
            ("127.0.0.1:8080", "127.0.0.1", 8080), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:9000", "::1", 9000),
            ("localhost:80", "localhost", 80),
        ])
    func parses(text: String, host: String, port: Int) throws {
        let address = try HTTPAddress(parsing: text)
        #expect(address.host == host && address.port == port)
        #expect(address.description == text)
    }

    @Test(
        "refuses malformed addresses, saying why",
        arguments: [
            ("localhost", "has no port"), (":8080", "has no host"), ("::1:8080", "put an IPv6 host in brackets"),
            ("host:http", "is not a number"), ("host:70000", "is not a number in 0…65535"),
        ])
    func refuses(text: String, reason: String) {
        #expect {
            try HTTPAddress(parsing: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
