import ArgumentParser
import Corsair
import CorsairCLI

/// `corsair shutdown`: stop the cluster, or one category's workers, from one place.
struct ShutdownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shutdown",
        abstract: "Stop the workers (finishing their tasks, or with --now handing them back), then the broker.",
        discussion: """
            The broker sends SHUTDOWN to every corsair-worker connection (of --category only, when given) and gives \
            them no more work. Each finishes the tasks it holds (with --now hands them back; the broker requeues \
            them uncounted), sends DISCONNECT and does not reconnect; a worker whose connections have all stopped \
            exits 0, so a systemd unit with Restart=on-failure stays down. Without --category, the broker stops \
            once they have all left, unless --workers-only; tasks still queued then stay in its journal for its next \
            start (dropped with --journal none). Plain MDP workers \
            cannot be told and are listed as skipped. The command returns once the broker has answered; with --wait \
            it returns once the workers have left (and the broker has stopped).

            \(ExitStatus.helpText)
            """)

    @OptionGroup var options: StatusOptions

    @Option(help: "Stop only the workers of this category; the broker keeps running.")
    var category: String?

    @Flag(help: "Hand the tasks in flight back now (requeued uncounted) instead of finishing them.")
    var now = false

    @Flag(help: "Keep the broker running after every worker has stopped.")
    var workersOnly = false

    @Flag(help: "Wait until the workers told to stop have left, and the broker has stopped when it stops too.")
    var wait = false

    func validate() throws {
        if let category, let reason = CategoryName.validate(category) {
            throw ValidationError("--category '\(category)': \(reason)")
        }
    }

    func run() async throws {
        try await options.run {
            let request = ShutdownRequest(category: category, now: now, workersOnly: workersOnly)
            let report = try await options.client.shutdown(request)
            print(options.json ? json(report) : Self.render(report, request: request), terminator: "")
            if wait {
                try await ShutdownWait(client: options.client, report: report, category: category).run()
            }
        }
    }

    static func render(_ report: ShutdownReport, request: ShutdownRequest) -> String {
        let mode = request.now ? "handing their tasks back" : "finishing their tasks first"
        var text = "asked \(report.stopping.count) worker connection(s) to stop, \(mode)"
        text += report.stopping.isEmpty ? "\n" : ": \(report.stopping.joined(separator: ", "))\n"
        if !report.skipped.isEmpty {
            text += "skipped \(report.skipped.count) that cannot be told: \(report.skipped.joined(separator: ", "))\n"
        }
        text += report.brokerStops ? "the broker stops once they have left\n" : "the broker keeps running\n"
        return text
    }
}

/// `corsair shutdown --wait`: polls the broker until the workers told to stop have left, or, when the broker stops
/// too, until it no longer answers (a plaintext probe times out, a CURVE one finds its handshake dropped).
struct ShutdownWait {
    var client: StatusClient
    var report: ShutdownReport
    var category: String?

    func run() async throws {
        var probe = client
        probe.timeout = .milliseconds(500)
        while true {
            let status: BrokerStatus
            do {
                status = try await probe.status()
            } catch is any UnavailableError where report.brokerStops {
                // Gone: no answer in time, or, under CURVE, a dropped handshake.
                return
            }
            let left = status.workers.filter { worker in
                report.stopping.contains(worker.id) && (category == nil || worker.category == category)
            }
            if left.isEmpty && !report.brokerStops { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
