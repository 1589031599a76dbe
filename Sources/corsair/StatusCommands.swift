import ArgumentParser
import Corsair
import CorsairCLI
import Foundation

/// Options every status command shares.
struct StatusOptions: ParsableArguments {
    @Option(help: "Broker endpoint.")
    var broker: String = "tcp://localhost:5555"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Give up (exit 69) when the broker does not answer in this time.")
    var timeout: Duration = .seconds(5)

    @OptionGroup(title: "Security")
    var security: CurveClientOptions

    @OptionGroup(title: "Discovery")
    var discovery: DiscoveryOptions

    /// With `--discover`, listens for the broker's beacon and takes its endpoint as `--broker` (exit 69 without one).
    mutating func validate() throws {
        broker = try discovery.resolve(broker)
    }

    var client: StatusClient {
        get throws {
            var client = StatusClient(broker: broker, timeout: timeout)
            client.curve = try security.load()
            return client
        }
    }

    /// Runs `body`, mapping what it throws to an exit status (an unreachable broker is 69).
    func run(_ body: () async throws -> Void) async throws {
        try await ExitStatus.run(reporting: { printError("corsair: \($0)") }, body)
    }
}

/// `--watch`: redraw every interval until interrupted.
struct WatchOptions: ParsableArguments {
    @Flag(help: "Redraw every --interval until interrupted.")
    var watch = false

    @Option(help: "With --watch: how often to redraw.")
    var interval: Duration = .seconds(1)

    func repeating(_ draw: () async throws -> String) async throws {
        repeat {
            let text = try await draw()
            print(watch ? "\u{1B}[H\u{1B}[2J" + text : text, terminator: "")
            if watch { try await Task.sleep(for: interval) }
        } while watch
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the broker at a glance: tasks by state, retries and failures, queues per category, workers.",
        discussion: ExitStatus.helpText)

    @OptionGroup var options: StatusOptions
    @OptionGroup var watch: WatchOptions

    func run() async throws {
        try await options.run {
            try await watch.repeating {
                let status = try await options.client.status()
                return options.json ? json(status) : Self.render(status, broker: options.broker)
            }
        }
    }

    static func render(_ status: BrokerStatus, broker: String) -> String {
        let states = TaskState.names.map { "\(status.tasks[$0] ?? 0) \($0)" }
        let retried = status.retried.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        var text =
            "broker \(broker), up \(DurationParser.format(.milliseconds(status.uptimeMilliseconds / 1000 * 1000)))\n"
        text += "tasks: \(states.joined(separator: ", "))\n"
        text += "since start: \(status.submitted) submitted, \(status.succeeded) succeeded, \(status.failed) failed, "
        text += "\(status.cancelled ?? 0) cancelled, "
        text +=
            "\(status.retried.values.reduce(0, +)) retried\(retried.isEmpty ? "" : " (\(retried.joined(separator: ", ")))"), "
        text += "\(status.badMessages) bad messages\n\n"
        text += TextTable.render(
            [["CATEGORY", "WORKERS", "QUEUED", "RUNNING", "ORDERED"]]
                + status.categories.map {
                    ["\($0.name)", "\($0.workers)", "\($0.queued)", "\($0.running)", $0.ordered ? "yes" : "no"]
                })
        text += "\n" + WorkersCommand.render(status.workers)
        return text
    }
}

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract:
            "List the connected workers: id, host, pid, category, tasks in flight, completed, failed, heartbeat age, "
            + "CURVE key name.",
        discussion: """
            With an ID, show that worker's own page: its current tasks, counts, uptime, version and heartbeat age \
            (exit 1 when no connected worker has that id).

            \(ExitStatus.helpText)
            """)

    @OptionGroup var options: StatusOptions

    @Argument(help: "Show this worker's page (its --id, as the list shows it).")
    var id: String?

    func run() async throws {
        try await options.run {
            if let id {
                guard let report = try await options.client.worker(id) else {
                    printError("corsair: no worker '\(id)' is connected")
                    throw ExitStatus.tasksFailed
                }
                print(options.json ? json(report) : WorkerPage.render(report), terminator: "")
                return
            }
            let workers = try await options.client.status().workers
            print(options.json ? json(workers) : Self.render(workers), terminator: "")
        }
    }

    static func render(_ workers: [WorkerStatus]) -> String {
        TextTable.render(
            [
                [
                    "WORKER", "HOST", "PID", "CATEGORY", "PROTOCOL", "CREDIT", "IN FLIGHT", "COMPLETED", "FAILED",
                    "LAST HEARD", "KEY",
                ]
            ]
                + workers.map { worker in
                    [
                        worker.id, worker.host ?? "", worker.pid.map(String.init) ?? "", worker.category,
                        worker.protocol, "\(worker.credit)", "\(worker.inFlight)", "\(worker.completed)",
                        "\(worker.failed)", "\(worker.lastHeartbeatAgeMilliseconds)ms ago", worker.key ?? "",
                    ]
                })
    }
}

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract:
            "List tracked tasks, newest first: id, category, batch, state, worker, started, attempts, last error.",
        discussion: ExitStatus.helpText)

    @OptionGroup var options: StatusOptions
    @OptionGroup var watch: WatchOptions

    @Option(help: "Only tasks in this state: scheduled, queued, running, succeeded, failed or cancelled.")
    var state: String?

    @Option(help: "Only tasks of this category.")
    var category: String?

    @Option(help: "Only tasks of this batch: its --batch name, or the session in hex for an unnamed one.")
    var batch: String?

    @Option(help: "At most this many tasks.")
    var limit = 50

    func validate() throws {
        if let state, TaskState(rawValue: state) == nil {
            throw ValidationError("--state must be one of \(TaskState.names.joined(separator: ", ")), got '\(state)'")
        }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        try await options.run {
            try await watch.repeating {
                let tasks = try await options.client.tasks(
                    TaskQuery(state: state, category: category, batch: batch, limit: limit))
                return options.json ? json(tasks) : Self.render(tasks)
            }
        }
    }

    static func render(_ tasks: [TaskStatus]) -> String {
        let formatter = ISO8601DateFormatter()
        return TextTable.render(
            [["ID", "CATEGORY", "BATCH", "STATE", "WORKER", "STARTED", "ATTEMPTS", "LAST ERROR"]]
                + tasks.map { task in
                    [
                        task.id, task.category, task.batch ?? task.client ?? "", task.state, task.worker ?? "",
                        task.started.map { formatter.string(from: Date(timeIntervalSince1970: Double($0) / 1000)) }
                            ?? "",
                        "\(task.attempts)",
                        String((task.lastError ?? "").split(separator: "\n").first ?? ""),
                    ]
                })
    }
}

/// `value` as pretty, key-sorted JSON and a newline.
func json(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return ((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null") + "\n"
}
