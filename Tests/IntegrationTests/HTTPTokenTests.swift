import CorsairTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `--http-token-file`: a bearer token on every HTTP route but /healthz, and the warning for an open API.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(2)))
struct HTTPTokenTests {
    let harness: ProcessHarness

    init() throws {
        harness = try ProcessHarness()
    }

    /// The status code and body of `GET url`, with `token` as a bearer token when given.
    func get(_ url: URL, token: String?) async throws -> (Int, String) {
        var request = URLRequest(url: url)
        if let token {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test("every route but /healthz answers 401 with a JSON body without the right bearer token")
    func tokenRequired() async throws {
        defer { harness.shutdown() }
        let tokenFile = harness.path("token")
        try "s3cret-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let port = try ProcessHarness.freePort()
        _ = try harness.startBroker(["--http", "127.0.0.1:\(port)", "--http-token-file", tokenFile.path])
        let base = try #require(URL(string: "http://127.0.0.1:\(port)"))
        try await HTTP.waitUntil("the gateway answers") {
            (try? await get(base.appending(path: "healthz"), token: nil).0) == 200
        }
        for route in ["v1/status", "v1/workers", "v1/tasks", "metrics", ""] {
            let (missing, body) = try await get(base.appending(path: route), token: nil)
            #expect(missing == 401, "\(route)")
            #expect(body.contains(#""error""#), "\(route): \(body)")
            #expect(try await get(base.appending(path: route), token: "s3cret-tokeN").0 == 401, "\(route)")
            #expect(try await get(base.appending(path: route), token: "s3cret-token").0 == 200, "\(route)")
        }
    }

    @Test("serving HTTP beyond loopback without a token logs a warning; an empty token file exits 65")
    func openAPIWarns() throws {
        defer { harness.shutdown() }
        let port = try ProcessHarness.freePort()
        let (broker, _) = try harness.startBroker(["--http", "0.0.0.0:\(port)"])
        try harness.waitUntil("the broker warns") { broker.errors.contains("without --http-token-file") }
        let empty = harness.path("empty-token")
        try "\n".write(to: empty, atomically: true, encoding: .utf8)
        let outcome = try harness.run(
            binary: "corsair-broker",
            ["--bind", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0", "--http-token-file", empty.path])
        #expect(outcome.status == 65)
        #expect(outcome.errors.contains(empty.path))
    }
}
