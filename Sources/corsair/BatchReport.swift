import Corsair
import CorsairCLI
import Foundation
import Synchronization

/// Shows a batch's progress and results: JSON lines as tasks finish, or a table at the end, plus progress on standard
/// error when it is a terminal.
///
/// With the batch's tasks (`corsair submit` holding them) the table lists them in batch order, unfinished ones
/// included. Without them (a batch streamed to a durable broker, `corsair wait`) it lists results as they came, and
/// JSON output keeps nothing but counts, so a batch of any size is reported in constant memory.
struct BatchReport: Sendable {
    private let order: [String]?
    private let categories: [String: String]
    private let json: Bool
    private let showsProgress = isatty(STDERR_FILENO) != 0
    private var results: [String: TaskResult] = [:]
    private var arrived: [TaskResult] = []
    private var done = 0
    private var cancelled = 0
    /// Tasks that did not succeed: failed, rejected or cancelled.
    private(set) var failed = 0
    /// Without the batch's tasks: how many the broker last said are unfinished.
    var unfinished = 0

    init(tasks: [TaskSpec]?, json: Bool) {
        self.order = tasks?.map(\.id)
        self.categories = Dictionary(
            (tasks ?? []).map { ($0.id, $0.category) }, uniquingKeysWith: { first, _ in first })
        self.json = json
    }

    mutating func record(_ event: BatchClient.Event) {
        switch event {
        case .accepted:
            return
        case .rejected(let rejections):
            record(rejections)
        case .results(let results):
            add(results)
        }
    }

    /// Reports rejected tasks as failed ones.
    mutating func record(_ rejections: [TaskRejection]) {
        add(
            rejections.map { rejection in
                TaskResult(
                    id: rejection.id, category: categories[rejection.id] ?? "", outcome: .failed, attempts: 0,
                    worker: nil, started: nil, finished: UInt64(Date().timeIntervalSince1970 * 1000),
                    output: Array("rejected: \(rejection.reason)".utf8))
            })
    }

    /// Reports finished tasks.
    mutating func add(_ finished: [TaskResult]) {
        var lines = ""
        for result in finished {
            done += 1
            if result.outcome != .succeeded {
                failed += 1
            }
            if result.outcome == .cancelled {
                cancelled += 1
            }
            if json {
                lines += result.jsonLine + "\n"
            } else if order != nil {
                results[result.id] = result
            } else {
                arrived.append(result)
            }
        }
        if !lines.isEmpty {
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        if showsProgress {
            let total = order.map { "/\($0.count)" } ?? " (\(unfinished) unfinished)"
            FileHandle.standardError.write(Data("\r\(done)\(total) done, \(failed) failed".utf8))
        }
    }

    func finish() {
        if showsProgress {
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard !json else { return }
        var rows = [["ID", "CATEGORY", "STATUS", "ATTEMPTS", "WORKER", "TIME", "RESULT"]]
        if let order {
            for id in order {
                rows.append(results[id].map(Self.row) ?? [id, categories[id] ?? "", "unfinished", "", "", "", ""])
            }
        } else {
            rows += arrived.map(Self.row)
        }
        print(TextTable.render(rows), terminator: "")
        let total = order?.count ?? done + unfinished
        let noun = total == 1 ? "task" : "tasks"
        let cancelledText = cancelled > 0 ? "\(cancelled) cancelled, " : ""
        print(
            "\(total) \(noun): \(done - failed) succeeded, \(failed - cancelled) failed, \(cancelledText)"
                + "\(total - done) unfinished")
    }

    private static func row(_ result: TaskResult) -> [String] {
        let time = result.started.map { "\(result.finished >= $0 ? result.finished - $0 : 0)ms" } ?? ""
        let output = String(decoding: result.output, as: UTF8.self).replacingOccurrences(of: "\n", with: "⏎")
        return [
            result.id, result.category, TaskState(finishedWith: result.outcome).rawValue, "\(result.attempts)",
            result.worker ?? "", time, String(output.prefix(60)),
        ]
    }
}

/// A ``BatchReport`` that a ``SessionClient`` fills from its own thread.
final class ReportSink: Sendable {
    private let report: Mutex<BatchReport>

    init(_ report: BatchReport) {
        self.report = Mutex(report)
    }

    /// Records what the client learned; rejections count as failed tasks.
    func record(_ event: SessionClient.Event) {
        report.withLock { report in
            switch event {
            case .attached(let status):
                report.unfinished = Int(clamping: status.unfinished)
            case .accepted:
                break
            case .rejected(let rejections):
                report.record(rejections)
            case .results(let results, let unfinished):
                report.unfinished = Int(clamping: unfinished)
                report.add(results)
            }
        }
    }

    /// How many tasks failed, were rejected or were cancelled.
    var failed: Int { report.withLock { $0.failed } }

    /// Prints the table (unless JSON) and the totals.
    func finish() {
        report.withLock { $0.finish() }
    }
}
