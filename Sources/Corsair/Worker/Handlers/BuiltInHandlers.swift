/// The handlers `corsair-worker` offers on its command line.
public enum BuiltInHandlers {
    /// Returns the payload unchanged; runs inline on the worker's socket thread.
    public static let echo: InlineTaskHandler = { task in task.payload }

    /// Evaluates the payload as arithmetic (see ``Calculator``); a malformed expression or a division by zero fails
    /// the task at once (retrying cannot help) with a message that says what and where. Runs inline.
    public static let calculator: InlineTaskHandler = { task throws(TaskFailure) in
        let expression = String(decoding: task.payload, as: UTF8.self)
        do {
            return Array(try Calculator.run(expression).utf8)
        } catch {
            throw TaskFailure("cannot evaluate '\(expression.prefix(80))': \(error)", isRetryable: false)
        }
    }

    /// Simulated work: waits `duration`, then fails with probability `failureRate` or returns `<payload> completed`.
    public static func simulate(duration: Duration, failureRate: Double) -> TaskHandler {
        { task in
            try await Task.sleep(for: duration)
            if failureRate > 0, Double.random(in: 0..<1) < failureRate {
                throw TaskFailure("simulated failure")
            }
            return Array("\(String(decoding: task.payload, as: UTF8.self)) completed".utf8)
        }
    }
}
