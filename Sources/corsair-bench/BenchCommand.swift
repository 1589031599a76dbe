import ArgumentParser
import Corsair
import CorsairCLI
import Foundation
import UnixSignals

/// `corsair-bench`: Corsair against a bare libzmq `zmq_proxy` with the same echo workers, in one invocation.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair-bench",
        abstract: "Measure a local cluster against a bare zmq_proxy with the same echo workers.",
        // Written out, because the generated line would end in `<subcommand>` for the hidden peer.
        usage: """
            corsair-bench [--workers <K>] [--tasks <N>] [--bytes <B>] [--window <W>] [--mode <mode>] \
            [--submit <submission>] [--runs <runs>] [--journal full|normal] [--preload <Q> | --idle-workers <M>] \
            [--curve] [--late-batch <L>] [--clients <C> [--tasks-per-client <M>]] [--json]
            """,
        discussion: """
            Each run starts a broker and K echo workers on loopback, sends N tasks of B bytes with at most W in \
            flight, and measures tasks per second, latency percentiles (HdrHistogram), the broker's CPU time per \
            task and its peak RSS. The baseline run starts a zmq_proxy (ROUTER to DEALER) and K echo workers and \
            sends the same N, B and W. Figures are the median of --runs, with the range. Build with -c release.

            Two scale measurements replace the comparison when asked for: --preload Q queues Q tasks before any \
            worker exists, reports the broker's resident memory once it is idle, then starts the K workers, keeps \
            about Q tasks queued while they run, and reports how fast the broker dispatches and its CPU time per \
            task meanwhile; --idle-workers M \
            connects M plain MDP workers that only heartbeat, in processes of up to 1000, and reports the broker's \
            CPU over 10 s; --clients C has C clients, each its own session, submit --tasks-per-client M tasks each \
            at once to K echo workers and reports the time until every result is back (each exactly once) and the \
            broker's peak RSS; --late-batch L \
            runs N tasks with W in flight on K echo workers alone, then again while a second client submits L tasks \
            a quarter of the way in, and reports the small batch's time and the big batch's throughput against the \
            run without it.

            Interrupted (SIGINT or SIGTERM), it kills every process it started and exits with 128 plus the signal's \
            number.

            \(ExitStatus.helpText)
            """,
        subcommands: [PeerCommand.self])

    /// Ignores SIGPIPE (``BrokenPipe``) before anything else runs, then parses the arguments and runs the command.
    static func main() async {
        BrokenPipe.ignore()
        await main(nil)
    }

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        /// Corsair workers (`corsair-worker --echo`) with credit W/K.
        case credit
        /// Plain MDP/0.2 echo workers: one request at a time each, no Corsair extension.
        case plain
    }

    enum Submission: String, ExpressibleByArgument, CaseIterable {
        /// Corsair's batch protocol, as many tasks per SUBMIT as the window has room for.
        case batch
        /// One MDP/0.2 client REQUEST per task.
        case single
    }

    @Option(name: .customLong("workers"), help: "Echo workers (K).")
    var workerCount = 4

    @Option(help: "Tasks per run (N).")
    var tasks = 200_000

    @Option(help: "Payload bytes per task (B), at least 8.")
    var bytes = 64

    @Option(help: "Tasks in flight at most (W).")
    var window = 1000

    @Option(help: "Worker kind: credit (corsair-worker) or plain (MDP/0.2, one in flight).")
    var mode: Mode = .credit

    @Option(help: "Submission: batch (CRSC01 SUBMIT) or single (one MDP/0.2 REQUEST per task).")
    var submit: Submission = .batch

    @Option(help: "Runs of each side; figures are the median, with the range.")
    var runs = 3

    @Option(
        help: """
            Instead: queue this many tasks with no worker and report the broker's memory, then start the workers, \
            keep about this many queued while they run --tasks more (after a warm-up of as many, up to 50000), and \
            report that dispatch rate and the queue depths sampled meanwhile.
            """)
    var preload: Int?

    @Option(
        help: """
            Instead: connect this many idle plain MDP workers, in processes of up to 1000, and report the broker's \
            CPU over 10 s.
            """)
    var idleWorkers: Int?

    @Option(
        help: ArgumentHelp(
            "Also run a broker with a journal synced this way (full or normal) beside the in-memory one.",
            discussion: "Reports both, their ratio and the time of one fsync on the journal's disk.",
            valueName: "full|normal"))
    var journal: JournalSync?

    @Option(
        help: ArgumentHelp(
            "With --journal: also run a broker on a PostgreSQL journal at this address, beside SQLite and in-memory.",
            discussion: """
                postgresql://USER@HOST[:PORT]/DATABASE; the runs use the schema corsair_bench_PID, dropped after \
                each. Reports its tasks per second over the SQLite journal's and over in-memory, run by run.
                """,
            valueName: "url"))
    var postgres: String?

    @Flag(
        help: ArgumentHelp(
            "Also run Corsair with CURVE (keys and allow lists) and compare it with the plaintext side.",
            discussion: "--json then adds curve_ratio: CURVE tasks per second over plaintext, run by run."))
    var curve = false

    @Option(
        help: """
            Instead: run --tasks alone, then again while a second client submits this many a quarter of the way in; \
            report how long those took and the big batch's throughput against the run alone.
            """)
    var lateBatch: Int?

    @Option(
        help: """
            Instead: have this many clients (each its own session) submit --tasks-per-client tasks each at once to \
            the K workers; report the time until every result is back, each exactly once, and the broker's peak RSS.
            """)
    var clients: Int?

    @Option(help: "With --clients: tasks in each client's batch (M).")
    var tasksPerClient = 100

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard workerCount >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard tasks >= 1 else { throw ValidationError("--tasks must be at least 1") }
        guard bytes >= 8 else { throw ValidationError("--bytes must be at least 8 (the task number travels in them)") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        guard (1...20).contains(runs) else { throw ValidationError("--runs must be in 1…20") }
        guard !curve || (preload == nil && idleWorkers == nil) else {
            throw ValidationError("--curve goes with the comparison, not --preload or --idle-workers")
        }
        guard [preload, idleWorkers, lateBatch, clients].compactMap({ $0 }).count <= 1 else {
            throw ValidationError(
                "--preload, --idle-workers, --late-batch and --clients are separate measurements; give one")
        }
        try validateClients()
        guard lateBatch == nil || (!curve && journal == nil) else {
            throw ValidationError("--late-batch runs in memory without CURVE; leave out --journal and --curve")
        }
        if let lateBatch, lateBatch < 1 { throw ValidationError("--late-batch must be at least 1") }
        guard journal == nil || !curve else {
            throw ValidationError("--journal and --curve each compare against plaintext in memory; give one")
        }
        guard journal == nil || (preload == nil && idleWorkers == nil) else {
            throw ValidationError("--journal belongs to the comparison run; leave out --preload and --idle-workers")
        }
        if let postgres {
            guard journal != nil else { throw ValidationError("--postgres goes with --journal full|normal") }
            do {
                _ = try PostgresAddress(parsing: postgres)
            } catch {
                throw ValidationError("--postgres \(error)")
            }
        }
        if let preload, preload < 1 { throw ValidationError("--preload must be at least 1") }
        if let idleWorkers, !(1...10_000).contains(idleWorkers) {
            throw ValidationError("--idle-workers must be in 1…10000")
        }
    }

    /// Checks `--clients` and `--tasks-per-client`.
    private func validateClients() throws {
        if let clients, !(1...5000).contains(clients) { throw ValidationError("--clients must be in 1…5000") }
        guard tasksPerClient >= 1 else { throw ValidationError("--tasks-per-client must be at least 1") }
        guard clients == nil || (!curve && journal == nil) else {
            throw ValidationError("--clients runs in memory without CURVE; leave out --journal and --curve")
        }
    }

    func run() async throws {
        #if DEBUG
        printError(
            "corsair-bench: this is a debug build; build with `swift build -c release` for figures worth quoting")
        #endif
        let interruptions = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task.detached {
            for await signal in interruptions {
                let killed = BenchProcesses.killAll()
                printError("corsair-bench: interrupted by \(signal); killed the \(killed) processes it had started")
                Foundation.exit(128 + signal.rawValue)
            }
        }
        defer { watcher.cancel() }
        let text: String
        do {
            try Self.raiseSocketLimit()
            if let clients {
                text = ScaleReport(command: self, figures: try await runClientBursts(clients)).text
            } else if let lateBatch {
                text = ScaleReport(command: self, figures: try await runLateBatches(lateBatch)).text
            } else if preload != nil || idleWorkers != nil {
                text = ScaleReport(command: self, figures: try await runScale()).text
            } else {
                let report = try await runComparison()
                text = json ? report.json : report.table
            }
        } catch {
            printError("corsair-bench: \(error)")
            throw ExitStatus.unavailable
        }
        print(text, terminator: "")
    }
}
