import Foundation

/// The environment of an `--exec` command: the worker's (or the allowed part of it) and the task's variables.
enum ExecEnvironment {
    /// `NAME=value` entries for one attempt of `task`.
    ///
    /// - Parameters:
    ///   - base: the worker's environment.
    ///   - allowList: the names to keep; `nil` keeps them all.
    ///   - task: the task; its id, attempt and deadline become `CORSAIR_TASK_ID`, `CORSAIR_ATTEMPT` and
    ///     `CORSAIR_DEADLINE` (Unix time in seconds with milliseconds, when the broker gave a timeout), each only
    ///     when known, replacing any the worker had.
    ///   - now: the wall-clock time the attempt starts, for the deadline.
    static func entries(base: [String: String], allowList: [String]?, task: WorkerTask, now: Date) -> [String] {
        var variables = base
        if let allowList {
            let allowed = Set(allowList)
            variables = variables.filter { allowed.contains($0.key) }
        }
        for name in ["CORSAIR_TASK_ID", "CORSAIR_ATTEMPT", "CORSAIR_DEADLINE"] {
            variables[name] = nil
        }
        variables["CORSAIR_TASK_ID"] = task.id
        variables["CORSAIR_ATTEMPT"] = task.attempt.map(String.init)
        if let timeout = task.timeout {
            let deadline =
                now.timeIntervalSince1970 + Double(timeout.components.seconds)
                + Double(timeout.components.attoseconds) / 1e18
            variables["CORSAIR_DEADLINE"] = String(format: "%.3f", deadline)
        }
        return variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
