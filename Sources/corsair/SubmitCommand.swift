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
            "max_attempts"}; only category and payload are required.
            The format is detected from the first character ({ means jsonl) unless --format is given. A malformed \
            batch is rejected before anything is sent, naming line and column.

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

    func validate() throws {
        if let batch, let reason = BatchName.validate(batch) {
            throw ValidationError("--batch '\(batch)': \(reason)")
        }
    }

    @OptionGroup(title: "Discovery")
    var discovery: DiscoveryOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap(label: "corsair.client")
        let tasks: [TaskSpec]
        do {
            let text = try readInput()
            tasks = try BatchParser(format: format, defaultCategory: category).parse(text)
        } catch let error as BatchFileError {
            printError("\(displayName): \(error)")
            throw ExitStatus.dataError
        } catch {
            printError("\(displayName): \(error)")
            throw ExitStatus.dataError
        }

        var options = BatchClient.Options(broker: try discovery.resolve(broker))
        if let batch {
            options.session = Array(batch.utf8)
        }
        options.acknowledgementTimeout = connectTimeout
        options.timeout = timeout
        let client = BatchClient(options: options, logger: logger)
        var report = BatchReport(tasks: tasks, json: json)
        defer { report.finish() }
        try await ExitStatus.run(reporting: { printError("corsair: \($0)") }) {
            for try await event in client.run(tasks) {
                report.record(event)
            }
        }
        if report.failed > 0 {
            throw ExitStatus.tasksFailed
        }
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
