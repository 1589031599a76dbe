import ArgumentParser
import Corsair
import CorsairCLI
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import ZeroMQ

@main
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair-worker",
        abstract: "Run a Corsair worker: connect to a broker and serve one or more categories.",
        discussion: """
            Give exactly one handler: --echo, --calc, --simulate DURATION [--fail-rate P], or --exec -- CMD ARGS… \
            (the payload on standard input, standard output is the result, a non-zero exit fails the task).

            A result may be as large as the broker's --max-message-size less 1 KiB (or --max-result-size); a larger \
            one fails the task for good with result_too_large, and an --exec command that writes more is killed \
            there. An --exec command runs in its own process group with the default signal actions; once it has \
            exited, its pipes stay open 250 ms for what its background processes (`cmd &`) still write, then the \
            group is killed and the task ends with what was read. A command that does not read its input is no \
            failure: its exit status decides. --exec-memory-limit, --exec-cpu-limit, --exec-workdir and --exec-env \
            are off by default.

            The worker heartbeats while tasks run, reconnects with exponential backoff (1s up to 32s) when the \
            broker goes away, and on SIGINT/SIGTERM finishes its tasks, sends DISCONNECT and exits 0.

            \(ExitStatus.helpText)
            """)

    /// Ignores SIGPIPE (``BrokenPipe``) before anything else runs, then parses the arguments and runs the command.
    static func main() async {
        BrokenPipe.ignore()
        await main(DiscoveryOptions.expand(Array(CommandLine.arguments.dropFirst())))
    }

    @Option(help: "Broker endpoint to connect to.")
    var broker: String = "tcp://localhost:5555"

    @Option(
        name: .customLong("category"),
        help: ArgumentHelp("Category to serve; repeatable (one connection each).", valueName: "name"))
    var categories: [String] = []

    @Option(
        help: """
            Tasks each connection runs at once: also how many the broker sends it ahead, so raise it for many short \
            tasks.
            """)
    var concurrency: Int = 1

    @Option(name: .customLong("id"), help: "Worker name shown by the broker. Default: HOST-PID.")
    var name: String?

    @Option(help: "How often the worker heartbeats the broker.")
    var heartbeat: Duration = .seconds(1)

    @Option(help: "Heartbeat intervals of broker silence after which the worker reconnects.")
    var liveness: Int = 3

    @Option(help: "Exit with code 69 when the broker has been unreachable this long (default: retry forever).")
    var giveUpAfter: Duration?

    @Option(help: "On SIGINT/SIGTERM, how long to wait for running tasks before handing them back.")
    var drainTimeout: Duration = .seconds(30)

    @Flag(help: "Handler: return the payload unchanged.")
    var echo = false

    @Flag(help: "Handler: evaluate the payload as arithmetic, e.g. 4 * (2 + 3).")
    var calc = false

    @Option(help: "Handler: simulate work that takes this long, e.g. 200ms.")
    var simulate: Duration?

    @Option(help: "With --simulate: probability (0…1) that a task fails.")
    var failRate: Double = 0

    @Flag(help: "Handler: run the command after -- for each task.")
    var exec = false

    @Argument(parsing: .postTerminator, help: "With --exec: the command and its arguments, after --.")
    var command: [String] = []

    @Option(
        help: ArgumentHelp(
            "Largest result a task may return, e.g. 4M (default: the broker's --max-message-size less 1 KiB).",
            valueName: "bytes"),
        transform: { try ByteCount(parsing: $0) })
    var maxResultSize: ByteCount?

    @Option(
        help: ArgumentHelp(
            "With --exec: limit each command's address space (RLIMIT_AS), e.g. 512M; allocations past it fail.",
            valueName: "bytes"),
        transform: { try ByteCount(parsing: $0) })
    var execMemoryLimit: ByteCount?

    @Option(help: "With --exec: limit each command's CPU time (RLIMIT_CPU, whole seconds): SIGXCPU, SIGKILL 1s later.")
    var execCpuLimit: Duration?

    @Option(
        help: ArgumentHelp(
            "With --exec: run each attempt in a fresh directory made under this one, removed afterwards.",
            valueName: "dir"))
    var execWorkdir: String?

    @Option(
        name: .customLong("exec-env"),
        help: ArgumentHelp(
            "With --exec: pass the command only this variable of the worker's environment; repeatable "
                + "(default: all). CORSAIR_TASK_ID, CORSAIR_ATTEMPT and CORSAIR_DEADLINE are always set.",
            valueName: "name"))
    var execEnvironment: [String] = []

    @OptionGroup(title: "Security")
    var security: CurveClientOptions

    @OptionGroup(title: "Discovery")
    var discovery: DiscoveryOptions

    @OptionGroup(title: "Logging")
    var logging: LoggingOptions

    func validate() throws {
        let handlers = [echo, calc, simulate != nil, exec].filter { $0 }.count
        guard handlers == 1 else {
            throw ValidationError("give exactly one handler: --echo, --calc, --simulate or --exec (got \(handlers))")
        }
        guard !categories.isEmpty else { throw ValidationError("give at least one --category") }
        for category in categories {
            if let reason = CategoryName.validate(category) {
                throw ValidationError("--category '\(category)': \(reason)")
            }
        }
        guard Set(categories).count == categories.count else { throw ValidationError("a --category is repeated") }
        guard (1...WorkerOffer.maximumCredit).contains(concurrency) else {
            throw ValidationError("--concurrency must be in 1…\(WorkerOffer.maximumCredit), got \(concurrency)")
        }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be in 0…1, got \(failRate)") }
        guard failRate == 0 || simulate != nil else { throw ValidationError("--fail-rate goes with --simulate") }
        guard exec == !command.isEmpty else {
            throw ValidationError(exec ? "--exec needs a command after --" : "a command after -- needs --exec")
        }
        try validateExecOptions()
        guard liveness >= 1 else { throw ValidationError("--liveness must be at least 1") }
        guard heartbeat >= .milliseconds(10) else { throw ValidationError("--heartbeat must be at least 10ms") }
        if let name, !(1...255).contains(name.utf8.count) || name.contains("\n") {
            throw ValidationError("--id must be 1…255 bytes on one line")
        }
    }

    private func validateExecOptions() throws {
        let execOptions = [execMemoryLimit != nil, execCpuLimit != nil, execWorkdir != nil, !execEnvironment.isEmpty]
        guard exec || !execOptions.contains(true) else {
            throw ValidationError("--exec-memory-limit, --exec-cpu-limit, --exec-workdir and --exec-env go with --exec")
        }
        if let maxResultSize, maxResultSize.bytes < 1 {
            throw ValidationError("--max-result-size must be at least 1 byte")
        }
        if let execMemoryLimit, execMemoryLimit.bytes < 1 << 20 {
            throw ValidationError("--exec-memory-limit must be at least 1M, got \(execMemoryLimit.bytes) bytes")
        }
        if let execCpuLimit, execCpuLimit <= .zero {
            throw ValidationError("--exec-cpu-limit must be positive")
        }
        var isDirectory: ObjCBool = false
        if let execWorkdir,
            !FileManager.default.fileExists(atPath: execWorkdir, isDirectory: &isDirectory)
                || !isDirectory.boolValue
        {
            throw ValidationError("--exec-workdir '\(execWorkdir)' is not a directory")
        }
    }

    func run() async throws {
        let logger = logging.bootstrap(label: "corsair.worker")
        let broker = try Self.broker(self.broker, discovery: discovery, logger: logger)
        let host = ProcessInfo.processInfo.hostName
        let name = name ?? "\(host)-\(getpid())"
        let curve: CurveClientKeys?
        do {
            curve = try security.load()
        } catch {
            logger.error("worker failed", metadata: ["error": "\(error)"])
            throw ExitStatus.dataError
        }
        let configurations = categories.map { category in
            var configuration = WorkerConfiguration(broker: broker, category: category, name: name)
            configuration.host = host
            configuration.pid = Int(getpid())
            configuration.concurrency = concurrency
            configuration.heartbeatInterval = heartbeat
            configuration.liveness = liveness
            configuration.giveUpAfter = giveUpAfter
            configuration.maxResultBytes = maxResultSize?.bytes
            configuration.curve = curve
            return configuration
        }
        try await ExitStatus.run(reporting: { logger.error("worker failed", metadata: ["error": "\($0)"]) }) {
            let loop = try WorkerLoop(configurations: configurations, drainTimeout: drainTimeout, logger: logger)
            // The loop also ends on its own when the broker sends SHUTDOWN: a clean stop, exit 0.
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: service(loop), successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            logger.info("worker stopped")
        }
    }

    /// `broker`, or with `--discover` the endpoint of the first beacon of that name (exit 69 when none comes).
    private static func broker(_ broker: String, discovery: DiscoveryOptions, logger: Logger) throws -> String {
        do {
            let (endpoint, found) = try discovery.endpoint(or: broker)
            if let found {
                logger.info(
                    "broker discovered",
                    metadata: [
                        "broker": "\(endpoint)", "beacon.sender": "\(found.sender)",
                        "discovery.ignored": "\(found.ignored)",
                    ])
            }
            return endpoint
        } catch {
            logger.error("broker not discovered", metadata: ["error": "\(error)"])
            throw ExitStatus.forError(error)
        }
    }

    /// The chosen handler around `loop`: echo and calc are cheap enough to run inline on the socket thread.
    private func service(_ loop: WorkerLoop) -> WorkerService {
        if calc { return WorkerService(loop: loop, inline: BuiltInHandlers.calculator) }
        if let simulate {
            return WorkerService(
                loop: loop, handler: BuiltInHandlers.simulate(duration: simulate, failureRate: failRate))
        }
        if exec {
            var options = ExecOptions()
            options.memoryLimit = execMemoryLimit?.bytes
            options.cpuLimit = execCpuLimit
            options.workdirRoot = execWorkdir
            options.environmentAllowList = execEnvironment.isEmpty ? nil : execEnvironment
            return WorkerService(loop: loop, handler: ExecHandler(command: command, options: options).handler)
        }
        return WorkerService(loop: loop, inline: BuiltInHandlers.echo)
    }
}
