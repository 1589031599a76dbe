import CorsairTestSupport
import Foundation
import Testing

/// The harness itself: a broker that cannot listen must fail the test at once with its own words, not later as a
/// client that times out.
@Suite(.serialized, .tags(.integration), .timeLimit(.minutes(1)))
struct HarnessTests {
    @Test("startBroker(at:) throws as soon as the broker exits, when the port is taken, with its exit status and error")
    func brokerThatCannotListen() throws {
        let harness = try ProcessHarness()
        defer { harness.shutdown() }
        let (broker, endpoint) = try harness.startBroker()
        let error = try #require(throws: HarnessError.self) { try harness.startBroker(at: endpoint) }
        #expect(error.description.hasPrefix("the broker exited (status "), "\(error)")
        #expect(error.description.contains("instead of listening on \(endpoint)"), "\(error)")
        #expect(error.description.contains("broker failed"), "the broker's own error is quoted: \(error)")
        #expect(broker.process.isRunning, "the first broker still serves")
    }
}
