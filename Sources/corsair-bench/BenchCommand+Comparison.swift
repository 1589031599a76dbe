import Corsair
import CorsairCLI
import Foundation

/// The default measurement: Corsair and the `zmq_proxy` baseline, run after run.
extension BenchCommand {
    /// Runs each side ``runs`` times, alternately, and returns their figures.
    ///
    /// With ``journal`` Corsair runs twice each time, in memory and with a journal (in the temporary directory), and
    /// the report's Corsair column is the journal's.
    func runComparison() async throws -> BenchReport {
        var corsair: [RunFigures] = []
        var inMemory: [RunFigures] = []
        var baseline: [RunFigures] = []
        var curveRuns: [RunFigures] = []
        var postgresRuns: [RunFigures] = []
        let keys = try curve ? BenchKeys() : nil
        defer { keys?.remove() }
        for _ in 0..<runs {
            if let journal {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "corsair-bench-\(getpid()).journal"
                ).path
                defer { JournalFiles.remove(path) }
                corsair.append(try await runCorsair(journal: (path, journal.rawValue)))
                inMemory.append(try await runCorsair())
                if let postgres = try postgresAddress() {
                    defer { try? PostgresJournal.remove(address: PostgresAddress(parsing: postgres)) }
                    postgresRuns.append(try await runCorsair(journal: (postgres, journal.rawValue)))
                }
            } else {
                corsair.append(try await runCorsair())
            }
            if let keys {
                curveRuns.append(try await runCorsair(keys: keys))
            }
            baseline.append(try await runBaseline())
        }
        let fsync = journal == nil ? nil : try FsyncTimer.median(in: FileManager.default.temporaryDirectory)
        return BenchReport(
            command: self, corsair: corsair, baseline: baseline,
            journal: journal.map {
                JournalFigures(mode: $0, inMemory: inMemory, fsyncMicroseconds: fsync ?? 0, postgres: postgresRuns)
            },
            curve: curveRuns)
    }

    /// `--postgres` with the bench's own schema in place of any the address names, or `nil` without the option.
    private func postgresAddress() throws -> String? {
        guard let postgres else { return nil }
        let server = postgres.split(separator: "?", maxSplits: 1).first.map(String.init) ?? postgres
        let address = server + "?schema=corsair_bench_\(getpid())"
        try PostgresJournal.remove(address: PostgresAddress(parsing: address))
        return address
    }

    /// Each `corsair-worker --echo`'s credit: the window shared out among the K workers, at most 1 000.
    var echoCredit: Int { max(1, min(1000, (window + workerCount - 1) / workerCount)) }

    /// Tasks used to warm each side up before the timed run: connections made, code paged in.
    var warmUp: Int { min(max(tasks / 10, window), 20_000) }

    /// A broker and K workers of ``mode``, sent tasks by ``submit``; with `journal`, the broker keeps one; with
    /// `keys`, everything speaks CURVE and the broker checks keys against allow lists.
    private func runCorsair(
        journal: (path: String, sync: String)? = nil,
        keys: BenchKeys? = nil
    ) async throws -> RunFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try processes.startBroker(journal: journal, keys?.brokerArguments ?? [])
        for _ in 0..<workerCount {
            switch mode {
            case .credit:
                try processes.startEchoWorker(endpoint, credit: echoCredit, keys?.workerArguments ?? [])
            case .plain:
                try processes.startPeer(["mdp-echo", endpoint, "--category", "bench"])
            }
        }
        try await waitUntilRegistered(
            workerCount, at: endpoint, within: .seconds(15), polling: .milliseconds(20),
            else: "the workers did not register", curve: keys?.client)
        let wire: LoadGenerator.Wire =
            submit == .batch ? .corsairBatch(category: "bench") : .mdpRequests(category: "bench")
        var generator = LoadGenerator(endpoint: endpoint, wire: wire, payloadSize: bytes, window: window)
        generator.curve = keys?.client
        return try await measure(generator, broker)
    }

    /// A `zmq_proxy` and K echo workers behind it, sent bare messages; with `--submit single`, the same MDP/0.2
    /// REQUESTs the Corsair side is sent, echoed whole: the same client through a bare proxy.
    private func runBaseline() async throws -> RunFigures {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let frontend = "tcp://127.0.0.1:\(try LoopbackPort.free())"
        let backend = "tcp://127.0.0.1:\(try LoopbackPort.free())"
        let proxy = try processes.startPeer(["proxy", frontend, backend])
        for _ in 0..<workerCount {
            try processes.startPeer(["raw-echo", backend])
        }
        // Until every worker has connected, the proxy deals only to those that have: warm up first.
        try await Task.sleep(for: .milliseconds(300))
        let wire: LoadGenerator.Wire = submit == .batch ? .raw : .mdpRequests(category: "bench")
        let generator = LoadGenerator(endpoint: frontend, wire: wire, payloadSize: bytes, window: window)
        return try await measure(generator, proxy)
    }

    /// Warms `generator` up, then times a run of ``tasks`` and the CPU `broker` (the broker or the proxy) spent on it.
    private func measure(_ generator: LoadGenerator, _ broker: Process) async throws -> RunFigures {
        _ = try await generator.run(tasks: warmUp)
        let before = try ProcessUsage(of: broker.processIdentifier)
        let outcome = try await generator.run(tasks: tasks)
        let after = try ProcessUsage(of: broker.processIdentifier)
        return RunFigures(outcome: outcome, brokerCPU: after.cpu - before.cpu, brokerPeakResident: after.peakResident)
    }

    /// Starts a broker and K `corsair-worker --echo` of ``echoCredit`` each under `processes`, and returns once the
    /// workers have registered: the cluster of the `--clients` and `--late-batch` runs.
    ///
    /// - Returns: the broker's process and endpoint.
    func startEchoCluster(_ processes: BenchProcesses) async throws -> (Process, String) {
        let (broker, endpoint) = try processes.startBroker()
        for _ in 0..<workerCount {
            try processes.startEchoWorker(endpoint, credit: echoCredit)
        }
        try await waitUntilRegistered(
            workerCount, at: endpoint, within: .seconds(15), polling: .milliseconds(20),
            else: "the workers did not register")
        return (broker, endpoint)
    }

    /// Asks the broker at `endpoint` every `interval` until `count` workers have registered.
    ///
    /// A query that goes unanswered (``Corsair/BrokerUnavailable``) counts as not yet: while thousands of peers connect
    /// at once, the query's own connection waits among theirs, and `limit` is what decides.
    ///
    /// - Throws: a ``BenchError`` saying `failure`, and how many had registered, when `limit` passes first.
    func waitUntilRegistered(
        _ count: Int, at endpoint: String, within limit: Duration, polling interval: Duration, else failure: String,
        curve: CurveClientKeys? = nil
    ) async throws {
        let deadline = ContinuousClock.now + limit
        var client = StatusClient(broker: endpoint)
        client.curve = curve
        var seen = "no answer"
        while true {
            do {
                let registered = try await client.status().workers.count
                guard registered < count else { return }
                seen = "\(registered) of \(count) registered"
            } catch let silence as BrokerUnavailable {
                seen = "\(silence)"
            }
            guard ContinuousClock.now < deadline else { throw BenchError("\(failure) within \(limit): \(seen)") }
            try await Task.sleep(for: interval)
        }
    }
}
