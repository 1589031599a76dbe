import ArgumentParser
import Corsair
import CorsairCLI
import Foundation
import Logging
import ZeroMQ

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a batch file and print each task's result.",
        discussion: """
            Batch formats:
              plain   whitespace-separated tokens, as in `a1 a2 c1 b1`: the leading letters of a token are its \
            category, the token is its payload and its id (made unique when repeated). Lines starting with # are \
            comments.
              jsonl   one JSON object per line: {"id", "category", "payload", "priority", "timeout", \
            "max_attempts", "delay", "not_before"}; only category and payload are required. A task with "delay" \
            (30s, or seconds) or "not_before" (Unix milliseconds, or RFC 3339 such as 2026-12-02T15:00:00Z) is held \
            by the broker, shown as scheduled by `corsair tasks`, and runs at that time.
            A task cancelled with `corsair cancel` is reported as cancelled, and makes the command exit 1.
            The format is detected from the first character ({ means jsonl) unless --format is given. A malformed \
            batch is rejected before anything is sent, naming line and column.

            A JSON lines file submitted to a durable broker (one with a journal) is streamed: read a line at a time \
            (after one pass that checks it), with at most --window tasks in flight, so the client's memory does not \
            grow with the batch; after a broker restart it attaches again and each result is still printed once, \
            the table listing results as they came. Otherwise (standard input, a plain batch, --journal none) the \
            batch is held and unfinished tasks are resubmitted after a restart. With --detach it returns once the \
            broker has acknowledged every task and prints the batch name; `corsair wait NAME` prints the results \
            later, from any host. Against --journal none, detached tasks live only as long as the broker does.

            \(ExitStatus.helpText)
            """)

    @Argument(help: "Batch file, or - for standard input.")
    var file: String = "-"

    @Option(help: "Broker endpoint.")
    var broker: String = "tcp://localhost:5555"

    @Option(help: "Batch format: plain or jsonl (default: detect).")
    var format: BatchFormat?

    @Option(help: "Put every task in this category (plain format: instead of the tokens' leading letters).")
    var category: String?

    @Flag(help: "Print one JSON object per task, as it finishes, instead of a table.")
    var json = false

    @Option(help: "Give up (exit 69) when the batch has not finished in this time; the unfinished ids are listed.")
    var timeout: Duration?

    @Option(help: "Give up (exit 69) when the broker has not acknowledged the batch in this time.")
    var connectTimeout: Duration = .seconds(5)

    @Option(
        help: ArgumentHelp(
            "Name the batch for `corsair tasks --batch`; resubmitting under a name runs only ids it has not seen.",
            valueName: "name"))
    var batch: String?

    @Flag(help: "Return once the broker has acknowledged every task; print the batch name for `corsair wait`.")
    var detach = false

    @Option(
        help: ArgumentHelp(
            "Most tasks in flight when streaming (durable broker, or --detach: tasks not yet acknowledged).",
            valueName: "tasks"))
    var window = 10_000

    /// Checks the options; with `--discover`, listens for the broker's beacon and takes its endpoint as `--broker`
    /// (exit 69 without one).
    mutating func validate() throws {
        if let batch, let reason = BatchName.validate(batch) {
            throw ValidationError("--batch '\(batch)': \(reason)")
        }
        guard window >= 1 else {
            throw ValidationError("--window must be at least 1, got \(window)")
        }
        broker = try discovery.resolve(broker)
    }

    @OptionGroup(title: "Security")
    var security: CurveClientOptions

    @OptionGroup(title: "Discovery")
    var discovery: DiscoveryOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "corsair.client")
        var failed = 0
        try await ExitStatus.run(reporting: { printError("corsair: \($0)") }) {
            if detach {
                failed = try await stream(.detach, logger: logger)
            } else if try isJSONLinesFile(), try await brokerIsDurable() {
                failed = try await stream(.submit, logger: logger)
            } else {
                failed = try await submitHeld(logger: logger)
            }
        }
        if failed > 0 {
            throw ExitStatus.tasksFailed
        }
    }

    /// Submits the whole batch held in memory, resubmitting unfinished tasks after a broker restart (Lazy Pirate);
    /// returns how many tasks failed.
    private func submitHeld(logger: Logger) async throws -> Int {
        let tasks = try parsed { try BatchParser(format: format, defaultCategory: category).parse(try readInput()) }
        var options = BatchClient.Options(broker: broker)
        if let batch {
            options.session = Array(batch.utf8)
        }
        options.acknowledgementTimeout = connectTimeout
        options.timeout = timeout
        do {
            options.curve = try security.load()
        } catch {
            printError("corsair: \(error)")
            throw ExitStatus.dataError
        }
        let client = BatchClient(options: options, logger: logger)
        var report = BatchReport(tasks: tasks, json: json)
        defer { report.finish() }
        for try await event in client.run(tasks) {
            report.record(event)
        }
        return report.failed
    }

    /// Streams the batch with a window, to a durable broker following the results, or detached (printing the batch
    /// name once every task is acknowledged); returns how many tasks failed or were rejected.
    private func stream(_ mode: SessionClient.Mode, logger: Logger) async throws -> Int {
        let source = try parsed { try openSource() }
        let name = batch ?? BatchName.random()
        var options = SessionClient.Options(broker: broker, session: Array(name.utf8), mode: mode)
        options.window = window
        options.acknowledgementTimeout = connectTimeout
        options.timeout = timeout
        options.curve = try security.load()
        let sink = ReportSink(BatchReport(tasks: nil, json: json))
        defer {
            if mode != .detach {
                sink.finish()
            }
        }
        try await SessionClient(options: options, logger: logger).run(source) { sink.record($0) }
        if mode == .detach {
            print(name)
        }
        return sink.failed
    }

    /// Runs `body`, which reads the batch; a malformed batch exits 65.
    private func parsed<Value>(_ body: () throws -> sending Value) throws -> sending Value {
        do {
            return try body()
        } catch let code as ExitCode {
            throw code
        } catch {
            printError("\(displayName): \(error)")
            throw ExitStatus.dataError
        }
    }

    /// Whether the broker journals what it accepts, so a streamed batch need not be held to be resubmitted.
    private func brokerIsDurable() async throws -> Bool {
        var client = StatusClient(broker: broker, timeout: connectTimeout)
        client.curve = try security.load()
        return try await client.flags()?.contains(.durable) == true
    }

    /// Whether the batch is a JSON lines file, which can be read a line at a time; standard input and plain batches
    /// are parsed into memory, and then held anyway.
    private func isJSONLinesFile() throws -> Bool {
        guard file != "-" else { return false }
        return try parsed { try (format ?? detectedFormat()) == .jsonl }
    }

    /// The batch as a source: a JSON lines file is checked whole, then read a line at a time; anything else (standard
    /// input, a plain batch) is parsed into memory.
    private func openSource() throws -> sending any TaskSource {
        let parser = BatchParser(format: format, defaultCategory: category)
        if try isJSONLinesFile() {
            _ = try JSONLinesFile.validate(path: file, parser: parser)
            return try JSONLinesFile(path: file, parser: parser)
        }
        return ArrayTaskSource(try parser.parse(try readInput()))
    }

    /// The format of the batch file, from its first 64 KiB.
    private func detectedFormat() throws -> BatchFormat {
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw ValidationError("cannot read batch file '\(file)'")
        }
        defer { try? handle.close() }
        let head = try handle.read(upToCount: 1 << 16) ?? Data()
        return BatchParser.detectFormat(String(decoding: head, as: UTF8.self))
    }

    private var displayName: String { file == "-" ? "<stdin>" : file }

    private func readInput() throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read batch file '\(file)'")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BatchFileError(line: 1, column: 1, token: nil, message: "the batch is not valid UTF-8")
        }
        return text
    }
}
