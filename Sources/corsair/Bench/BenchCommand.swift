import ArgumentParser
import Corsair
import CorsairCLI
import Foundation
import Histogram
import UnixSignals

/// `corsair bench`: Corsair against a bare libzmq `zmq_proxy` with the same echo workers, in one invocation.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure a local cluster against a bare zmq_proxy with the same echo workers.",
        discussion: """
            Each run starts a broker and K echo workers on loopback, sends N tasks of B bytes with at most W in \
            flight, and measures tasks per second, latency percentiles (HdrHistogram), the broker's CPU time per \
            task and its peak RSS. The baseline run starts a zmq_proxy (ROUTER to DEALER) and K echo workers and \
            sends the same N, B and W. Figures are the median of --runs, with the range. Build with -c release.

            Two scale measurements replace the comparison when asked for: --preload Q queues Q tasks before any \
            worker exists, reports the broker's resident memory once it is idle, then starts the K workers, keeps \
            about Q tasks queued while they run, and reports how fast the broker dispatches and its CPU time per \
            task meanwhile; --idle-workers M \
            connects M plain MDP workers that only heartbeat and reports the broker's CPU over 10 s.

            Interrupted (SIGINT or SIGTERM), it kills every process it started and exits with 128 plus the signal's \
            number.

            \(ExitStatus.helpText)
            """)

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

    @Option(help: "Instead: connect this many idle plain MDP workers and report the broker's CPU over 10 s.")
    var idleWorkers: Int?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard workerCount >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard tasks >= 1 else { throw ValidationError("--tasks must be at least 1") }
        guard bytes >= 8 else { throw ValidationError("--bytes must be at least 8 (the task number travels in them)") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        guard (1...20).contains(runs) else { throw ValidationError("--runs must be in 1…20") }
        guard preload == nil || idleWorkers == nil else {
            throw ValidationError("--preload and --idle-workers are separate measurements; give one")
        }
        if let preload, preload < 1 { throw ValidationError("--preload must be at least 1") }
        if let idleWorkers, !(1...10_000).contains(idleWorkers) {
            throw ValidationError("--idle-workers must be in 1…10000")
        }
    }

    func run() async throws {
        #if DEBUG
        printError("corsair bench: this is a debug build; build with `swift build -c release` for figures worth quoting")
        #endif
        let interruptions = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task.detached {
            for await signal in interruptions {
                let killed = BenchProcesses.killAll()
                printError("corsair bench: interrupted by \(signal); killed the \(killed) processes it had started")
                Foundation.exit(128 + signal.rawValue)
            }
        }
        defer { watcher.cancel() }
        if preload != nil || idleWorkers != nil {
            try await runScale()
            return
        }
        var corsair: [RunFigures] = []
        var baseline: [RunFigures] = []
        do {
            for _ in 0..<runs {
                corsair.append(try await runCorsair())
                baseline.append(try runBaseline())
            }
        } catch {
            printError("corsair bench: \(error)")
            throw ExitStatus.unavailable
        }
        let report = BenchReport(command: self, corsair: corsair, baseline: baseline)
        print(json ? report.json : report.table, terminator: "")
    }

    private func runScale() async throws {
        var figures: [String: [Double]] = [:]
        do {
            for _ in 0..<runs {
                if let preload {
                    let run = try await runPreload(preload)
                    figures["queued_rss_mb", default: []].append(run.residentMB)
                    figures["dispatch_tasks_per_second", default: []].append(run.perSecond)
                    figures["dispatch_broker_cpu_us_per_task", default: []].append(run.cpuMicroseconds)
                    if !run.queued.isEmpty {
                        let queued = Spread(run.queued.map(Double.init))
                        figures["dispatch_queued_median", default: []].append(queued.median)
                        figures["dispatch_queued_min", default: []].append(queued.minimum)
                    }
                }
                if let idleWorkers {
                    figures["broker_cpu_percent", default: []].append(try await runIdle(idleWorkers))
                }
            }
        } catch {
            printError("corsair bench: \(error)")
            throw ExitStatus.unavailable
        }
        let spreads = figures.mapValues(Spread.init)
        if json {
            var object: [String: Any] = ["runs": runs, "workers": workerCount, "bytes": bytes]
            object["preload"] = preload
            object["idle_workers"] = idleWorkers
            for (key, spread) in spreads {
                object[key] = (spread.median * 100).rounded() / 100
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let what = preload.map {
                "\($0) tasks of \(bytes) B queued (plus \(Self.preloadCredit) per worker for their credit) before "
                    + "\(workerCount) echo workers start, and about that many kept queued for \(tasks) more"
            }
                ?? "\(idleWorkers ?? 0) idle plain MDP workers heartbeating every second"
            print("corsair bench: \(what); median (min–max) of \(runs) run\(runs == 1 ? "" : "s")\n")
            let names = [
                "queued_rss_mb": "broker RSS with the queue, idle, MB",
                "dispatch_tasks_per_second": "dispatch rate with the queue, tasks per second",
                "dispatch_broker_cpu_us_per_task": "broker CPU while dispatching, µs per task",
                "dispatch_queued_median": "queued while dispatching, median of samples",
                "dispatch_queued_min": "queued while dispatching, fewest sampled",
                "broker_cpu_percent": "broker CPU, % of a core",
            ]
            print(TextTable.render(spreads.keys.sorted().map { [names[$0] ?? $0, spreads[$0]!.formatted(digits: 1)] }))
        }
    }

    /// What one --preload run measured.
    private struct PreloadFigures {
        /// The broker's resident memory with the queue, idle.
        var residentMB: Double
        /// The dispatch rate with the queue: it also depends on how fast the client refills the queue.
        var perSecond: Double
        /// The broker's CPU time per task while dispatching, which depends on the broker only.
        var cpuMicroseconds: Double
        /// The broker's queue depth, sampled while dispatching.
        var queued: [Int]
    }

    /// Queues `depth` tasks, plus the workers' credit, before any worker exists; then has K credit workers run
    /// ``tasks`` more with about `depth` kept waiting in the broker while the workers are full.
    private func runPreload(_ depth: Int) async throws -> PreloadFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker()
        let generator = LoadGenerator(
            endpoint: endpoint, wire: .corsairBatch(category: "bench"), payloadSize: bytes, window: window)
        var resident = 0.0
        var cpuAtStart = Duration.zero
        var cpu = Duration.zero
        let outcome = try await generator.runPreloaded(
            depth: depth, credit: workerCount * Self.preloadCredit, count: tasks
        ) {
            // The broker hands freed memory back after 5 s idle; measure what the queue itself holds.
            try await Task.sleep(for: .seconds(7))
            resident = Double(try ProcessUsage(of: broker.processIdentifier).resident) / 1_048_576
            for _ in 0..<workerCount {
                try processes.start(
                    "corsair-worker",
                    [
                        "--broker", endpoint, "--category", "bench", "--echo", "--concurrency", "\(Self.preloadCredit)",
                        "--log-level", "error",
                    ])
            }
        } started: {
            cpuAtStart = try ProcessUsage(of: broker.processIdentifier).cpu
        } ended: {
            cpu = try ProcessUsage(of: broker.processIdentifier).cpu - cpuAtStart
        }
        return PreloadFigures(
            residentMB: resident, perSecond: Double(outcome.count) / (outcome.elapsed / .seconds(1)),
            cpuMicroseconds: (cpu / .microseconds(1)) / Double(outcome.count), queued: outcome.queued)
    }

    /// Each worker's credit in the --preload measurement.
    private static let preloadCredit = 250

    /// Connects `count` idle workers and measures the broker's CPU over 10 s.
    private func runIdle(_ count: Int) async throws -> Double {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker()
        try processes.start("corsair", ["bench-peer", "idle-workers", endpoint, "--count", "\(count)", "--category", "idle"])
        let deadline = ContinuousClock.now + .seconds(30)
        while try await StatusClient(broker: endpoint).status().workers.count < count {
            guard ContinuousClock.now < deadline else { throw BenchError("the idle workers did not all register") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let before = try ProcessUsage(of: broker.processIdentifier)
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(10))
        let after = try ProcessUsage(of: broker.processIdentifier)
        return (after.cpu - before.cpu) / (ContinuousClock.now - start) * 100
    }

    /// Tasks used to warm each side up before the timed run: connections made, code paged in.
    private var warmUp: Int { min(max(tasks / 10, window), 20_000) }

    private func runCorsair() async throws -> RunFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker()
        for _ in 0..<workerCount {
            switch mode {
            case .credit:
                let credit = max(1, min(1000, (window + workerCount - 1) / workerCount))
                try processes.start(
                    "corsair-worker",
                    [
                        "--broker", endpoint, "--category", "bench", "--echo", "--concurrency", "\(credit)",
                        "--log-level", "error",
                    ])
            case .plain:
                try processes.start("corsair", ["bench-peer", "mdp-echo", endpoint, "--category", "bench"])
            }
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while try await StatusClient(broker: endpoint).status().workers.count < workerCount {
            guard ContinuousClock.now < deadline else { throw BenchError("the workers did not register") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let wire: LoadGenerator.Wire =
            submit == .batch ? .corsairBatch(category: "bench") : .mdpRequests(category: "bench")
        return try measure(LoadGenerator(endpoint: endpoint, wire: wire, payloadSize: bytes, window: window), broker)
    }

    private func runBaseline() throws -> RunFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let frontend = "tcp://127.0.0.1:\(try LoopbackPort.free())"
        let backend = "tcp://127.0.0.1:\(try LoopbackPort.free())"
        let proxy = try processes.start("corsair", ["bench-peer", "proxy", frontend, backend])
        for _ in 0..<workerCount {
            try processes.start("corsair", ["bench-peer", "raw-echo", backend])
        }
        // Until every worker has connected, the proxy deals only to those that have: warm up first.
        Thread.sleep(forTimeInterval: 0.3)
        return try measure(LoadGenerator(endpoint: frontend, wire: .raw, payloadSize: bytes, window: window), proxy)
    }

    /// Warms `generator` up, then times a run of ``tasks`` and the CPU `broker` (the broker or the proxy) spent on it.
    private func measure(_ generator: LoadGenerator, _ broker: Process) throws -> RunFigures {
        _ = try generator.run(tasks: warmUp)
        let before = try ProcessUsage(of: broker.processIdentifier)
        let outcome = try generator.run(tasks: tasks)
        let after = try ProcessUsage(of: broker.processIdentifier)
        return RunFigures(outcome: outcome, brokerCPU: after.cpu - before.cpu, brokerPeakResident: after.peakResident)
    }
}

/// What one run of one side measured.
struct RunFigures {
    var outcome: LoadGenerator.Outcome
    /// CPU time of the broker (or the proxy) during the timed run.
    var brokerCPU: Duration
    var brokerPeakResident: Int

    var perSecond: Double { Double(outcome.count) / (outcome.elapsed / .seconds(1)) }
    var cpuMicrosecondsPerTask: Double { brokerCPU / .microseconds(1) / Double(outcome.count) }

    func latency(_ percentile: Double) -> Double {
        Double(outcome.latencies.valueAtPercentile(percentile))
    }
}
