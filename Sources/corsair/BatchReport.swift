import Corsair
import CorsairCLI
import Foundation

/// Shows a batch's progress and results: JSON lines as tasks finish, or a table at the end, plus progress on standard
/// error when it is a terminal.
struct BatchReport {
    private let order: [String]
    private let categories: [String: String]
    private let json: Bool
    private let showsProgress = isatty(STDERR_FILENO) != 0
    private var results: [String: TaskResult] = [:]
    /// Tasks that did not succeed: failed, rejected or cancelled.
    private(set) var failed = 0

    init(tasks: [TaskSpec], json: Bool) {
        self.order = tasks.map(\.id)
        self.categories = Dictionary(tasks.map { ($0.id, $0.category) }, uniquingKeysWith: { first, _ in first })
        self.json = json
    }

    mutating func record(_ event: BatchClient.Event) {
        let finished: [TaskResult]
        switch event {
        case .accepted:
            return
        case .rejected(let rejections):
            finished = rejections.map { rejection in
                TaskResult(
                    id: rejection.id, category: categories[rejection.id] ?? "", outcome: .failed, attempts: 0,
                    worker: nil, started: nil, finished: UInt64(Date().timeIntervalSince1970 * 1000),
                    output: Array("rejected: \(rejection.reason)".utf8))
            }
        case .results(let results):
            finished = results
        }
        var lines = ""
        for result in finished {
            add(result)
            if json {
                lines += result.jsonLine + "\n"
            }
        }
        if !lines.isEmpty {
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        if showsProgress {
            FileHandle.standardError.write(Data("\r\(results.count)/\(order.count) done, \(failed) failed".utf8))
        }
    }

    private mutating func add(_ result: TaskResult) {
        results[result.id] = result
        if result.outcome != .succeeded {
            failed += 1
        }
    }

    func finish() {
        if showsProgress {
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard !json else { return }
        var rows = [["ID", "CATEGORY", "STATUS", "ATTEMPTS", "WORKER", "TIME", "RESULT"]]
        for id in order {
            guard let result = results[id] else {
                rows.append([id, categories[id] ?? "", "unfinished", "", "", "", ""])
                continue
            }
            let time = result.started.map { "\(result.finished >= $0 ? result.finished - $0 : 0)ms" } ?? ""
            let output = String(decoding: result.output, as: UTF8.self)
                .replacingOccurrences(of: "\n", with: "⏎")
            rows.append([
                id, result.category, TaskState(finishedWith: result.outcome).rawValue, "\(result.attempts)",
                result.worker ?? "", time, String(output.prefix(60)),
            ])
        }
        print(TextTable.render(rows), terminator: "")
        let succeeded = results.values.count { $0.outcome == .succeeded }
        let cancelled = results.values.count { $0.outcome == .cancelled }
        let noun = order.count == 1 ? "task" : "tasks"
        let cancelledText = cancelled > 0 ? "\(cancelled) cancelled, " : ""
        print(
            "\(order.count) \(noun): \(succeeded) succeeded, \(failed - cancelled) failed, \(cancelledText)"
                + "\(order.count - results.count) unfinished")
    }
}
