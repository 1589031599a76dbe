import CorsairCLI
public import Foundation

/// Starts the built Corsair binaries (and helper scripts) as real processes on loopback, waits on conditions with
/// deadlines, and kills and reaps everything it started when ``shutdown()`` runs or it is released.
///
/// Each harness has its own temporary directory for endpoint files, logs and inputs. Every process it starts gets
/// `LOG_LEVEL` set to ``logLevel``, whatever the environment of the test run, so the tests' log assertions, negative
/// ones included, read logs of a known level.
public final class ProcessHarness {
    /// A process the harness started.
    public final class Child {
        /// The process.
        public let process: Process
        /// Its combined standard output, captured to a file.
        public let outputFile: URL
        /// Its standard error, captured to a file.
        public let errorFile: URL

        init(process: Process, outputFile: URL, errorFile: URL) {
            self.process = process
            self.outputFile = outputFile
            self.errorFile = errorFile
        }

        /// Everything it wrote to standard output so far.
        public var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }
        /// Everything it wrote to standard error so far.
        public var errors: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }
        /// Its process id.
        public var pid: Int32 { process.processIdentifier }

        /// Sends `signal` (for example `SIGKILL`, `SIGSTOP`, `SIGCONT`, `SIGTERM`).
        public func send(_ signal: Int32) {
            if process.isRunning {
                kill(process.processIdentifier, signal)
            }
        }

        /// Waits until it exits, up to `timeout`; returns its exit status, or `nil` when it is still running.
        @discardableResult
        public func waitForExit(timeout: Duration = .seconds(20)) -> Int32? {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning && ContinuousClock.now < deadline {
                usleep(5_000)
            }
            return process.isRunning ? nil : process.terminationStatus
        }
    }

    /// The finished run of a command.
    public struct Outcome {
        public var status: Int32
        public var output: String
        public var errors: String
    }

    /// Where the built products are: the folder that holds the test bundle.
    public static let productsDirectory: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        if directory.pathExtension == "xctest" {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    /// The level every started process logs at unless a test passes `--log-level`: `info`, where the lifecycle lines
    /// the tests look for (`worker joined`, `worker left`, `broker silent`) are written.
    public static let logLevel = "info"

    /// The environment of every started process: this process's, with `LOG_LEVEL` pinned to ``logLevel``.
    static let environment: [String: String] = ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": logLevel]) {
        $1
    }

    /// The harness's temporary directory.
    public let directory: URL
    /// The directory the processes it starts run in; this process's own when `nil`.
    public var workingDirectory: URL?
    private var children: [Child] = []
    private var counter = 0

    /// Creates a harness with a fresh temporary directory.
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        shutdown()
    }

    /// Kills (SIGKILL) and reaps every process still running, and removes the temporary directory.
    public func shutdown() {
        for child in children where child.process.isRunning {
            kill(child.process.processIdentifier, SIGCONT)
            kill(child.process.processIdentifier, SIGKILL)
        }
        for child in children {
            child.waitForExit(timeout: .seconds(5))
        }
        children.removeAll()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A new path in the temporary directory.
    public func path(_ name: String) -> URL {
        counter += 1
        return directory.appendingPathComponent("\(counter)-\(name)")
    }

    /// Starts `executable` with `arguments`; `input` becomes its standard input.
    public func start(
        _ executable: URL, _ arguments: [String], input: String? = nil, name: String? = nil
    ) throws -> Child {
        let label = name ?? executable.lastPathComponent
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = Self.environment
        process.currentDirectoryURL = workingDirectory
        let outputFile = path("\(label).out")
        let errorFile = path("\(label).err")
        for file in [outputFile, errorFile] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw HarnessError("cannot create \(file.path)")
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        if let input {
            let inputFile = path("\(label).in")
            try input.write(to: inputFile, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let child = Child(process: process, outputFile: outputFile, errorFile: errorFile)
        children.append(child)
        return child
    }

    /// Starts one of the package's binaries (`corsair-broker`, `corsair-worker`, `corsair`).
    ///
    /// A broker started without `--journal` gets a journal of its own in the harness's directory, so that tests never
    /// share one (nor write `corsair.journal` in the working directory) and each broker starts empty.
    public func start(binary: String, _ arguments: [String], input: String? = nil) throws -> Child {
        var arguments = arguments
        if binary == "corsair-broker" && !arguments.contains("--journal") {
            arguments += ["--journal", path("broker.journal").path]
        }
        return try start(Self.productsDirectory.appendingPathComponent(binary), arguments, input: input)
    }

    /// Runs one of the package's binaries to completion.
    public func run(
        binary: String,
        _ arguments: [String],
        input: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> Outcome {
        try run(Self.productsDirectory.appendingPathComponent(binary), arguments, input: input, timeout: timeout)
    }

    /// Runs `executable` to completion, killing it if it outlives `timeout`.
    public func run(
        _ executable: URL,
        _ arguments: [String],
        input: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> Outcome {
        let child = try start(executable, arguments, input: input)
        guard let status = child.waitForExit(timeout: timeout) else {
            child.send(SIGKILL)
            throw HarnessError(
                "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return Outcome(status: status, output: child.output, errors: child.errors)
    }

    /// Starts a broker on a free loopback port and returns it with its endpoint once it listens.
    ///
    /// - Throws: ``HarnessError`` as soon as the broker exits without listening, with what it wrote to standard error.
    public func startBroker(_ arguments: [String] = []) throws -> (Child, String) {
        let endpointFile = path("broker.endpoint")
        let broker = try start(
            binary: "corsair-broker",
            ["--bind", "tcp://127.0.0.1:*", "--endpoint-file", endpointFile.path] + arguments)
        let bound = try waitUntilListening(broker, endpointFile: endpointFile, what: "on a free port")
        guard let first = bound.first else { throw HarnessError("the broker's endpoint file is empty") }
        return (broker, first)
    }

    /// Starts a broker bound to `endpoint` exactly (to restart one on the same port), and returns it once it listens
    /// there.
    ///
    /// - Throws: ``HarnessError`` as soon as the broker exits without listening (for example when the port cannot be
    ///   bound again), with its exit status and what it wrote to standard error; or when it listens elsewhere.
    public func startBroker(at endpoint: String, _ arguments: [String] = []) throws -> Child {
        // A file of its own per endpoint, written anew: a restarted broker is waited for, not its predecessor's file.
        let endpointFile = path("broker-\(endpoint.split(separator: ":").last ?? "").endpoint")
        try? FileManager.default.removeItem(at: endpointFile)
        let broker = try start(
            binary: "corsair-broker", ["--bind", endpoint, "--endpoint-file", endpointFile.path] + arguments)
        let bound = try waitUntilListening(broker, endpointFile: endpointFile, what: "on \(endpoint)")
        guard bound.contains(endpoint) else {
            throw HarnessError("the broker asked to listen on \(endpoint) listens on \(bound)")
        }
        return broker
    }

    /// Waits until `broker` lists the endpoints it bound in `endpointFile` (it writes the file once it listens) and
    /// returns them; throws as soon as the broker has exited instead.
    private func waitUntilListening(_ broker: Child, endpointFile: URL, what: String) throws -> [String] {
        var bound: [String] = []
        try waitUntil("the broker listens \(what)") {
            let text = (try? String(contentsOf: endpointFile, encoding: .utf8)) ?? ""
            bound = text.split(separator: "\n").map(String.init)
            return !bound.isEmpty || !broker.process.isRunning
        }
        if broker.process.isRunning {
            return bound
        }
        throw HarnessError(
            "the broker exited (status \(broker.process.terminationStatus)) instead of listening \(what): "
                + broker.errors)
    }

    /// Starts `corsair-worker` serving `category` of the broker at `endpoint`, and waits until the broker routes it.
    @discardableResult
    public func startWorker(_ endpoint: String, category: String, _ arguments: [String]) throws -> Child {
        let worker = try start(binary: "corsair-worker", ["--broker", endpoint, "--category", category] + arguments)
        try waitUntilServed(category, at: endpoint, by: worker)
        return worker
    }

    /// Waits until the broker at `endpoint` has a worker for `category` (`mmi.service` answers 200); throws if
    /// `worker` exits first, with what it wrote to standard error, and on time-out with what the worker and the
    /// harness's brokers wrote: whether the broker saw the worker join tells a broker that does not route it from a
    /// probe that gets no answer.
    public func waitUntilServed(_ category: String, at endpoint: String, by worker: Child) throws {
        do {
            try waitUntil("a worker serves \(category)") {
                try MDPProbe.hasWorkers(category, at: endpoint) || !worker.process.isRunning
            }
        } catch let error as HarnessError {
            let brokers = children.filter { $0.process.executableURL?.lastPathComponent == "corsair-broker" }
            throw HarnessError(
                "\(error); the worker wrote: \(worker.errors.suffix(2000)); the brokers wrote: "
                    + brokers.map { String($0.errors.suffix(2000)) }.joined(separator: " | "))
        }
        guard worker.process.isRunning else {
            throw HarnessError("the worker for \(category) exited: \(worker.errors)")
        }
    }

    /// Waits until `condition` holds, checking every 10 ms, or throws after `timeout`.
    public func waitUntil(
        _ what: String,
        timeout: Duration = .seconds(20),
        _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else {
                throw HarnessError("timed out after \(timeout) waiting until \(what)")
            }
            usleep(10_000)
        }
    }

    /// A free TCP port on 127.0.0.1, for peers that cannot bind a wildcard port and report it.
    public static func freePort() throws -> Int {
        try LoopbackPort.free()
    }
}

/// A harness step that did not work out, with what it was waiting for.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
