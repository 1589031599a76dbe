import ArgumentParser
import Corsair
import CorsairCLI
import Logging

struct WaitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Print a batch's results: those already finished first, then the rest as they finish.",
        discussion: """
            Attaches to a batch by name, from any host: the name `corsair submit --detach` printed, or the one given \
            with `corsair submit --batch`. Results are printed as `corsair submit` prints them (a table at the end, \
            or JSON lines as they come with --json), each once, also when the broker restarts meanwhile on its \
            journal. It returns when every task of the batch has finished, and exits 1 when some failed or were \
            cancelled (`corsair cancel`). Without a journal (--journal none) the broker keeps only the last \
            --retain-finished results, and a batch is lost when it restarts.

            \(ExitStatus.helpText)
            """)

    @Argument(help: "The batch name.")
    var batch: String

    @Option(help: "Broker endpoint.")
    var broker: String = "tcp://localhost:5555"

    @Flag(help: "Print one JSON object per task, as it finishes, instead of a table.")
    var json = false

    @Option(help: "Give up (exit 69) when the batch has not finished in this time; says how many tasks are unfinished.")
    var timeout: Duration?

    @Option(help: "Give up (exit 69) when the broker has not answered in this time.")
    var connectTimeout: Duration = .seconds(5)

    @OptionGroup(title: "Discovery")
    var discovery: DiscoveryOptions

    @OptionGroup(title: "Security")
    var security: CurveClientOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    /// Checks the batch name; with `--discover`, listens for the broker's beacon and takes its endpoint as `--broker`
    /// (exit 69 without one).
    mutating func validate() throws {
        if let reason = BatchName.validate(batch) {
            throw ValidationError("batch '\(batch)': \(reason)")
        }
        broker = try discovery.resolve(broker)
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "corsair.client")
        var options = SessionClient.Options(broker: broker, session: Array(batch.utf8), mode: .wait)
        options.acknowledgementTimeout = connectTimeout
        options.timeout = timeout
        let sink = ReportSink(BatchReport(tasks: nil, json: json))
        try await ExitStatus.run(reporting: { printError("corsair: \($0)") }) {
            options.curve = try security.load()
            defer { sink.finish() }
            try await SessionClient(options: options, logger: logger).run(nil) { sink.record($0) }
        }
        if sink.failed > 0 {
            throw ExitStatus.tasksFailed
        }
    }
}
