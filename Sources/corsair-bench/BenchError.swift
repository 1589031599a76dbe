import Corsair

/// A benchmark that could not run, with why.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }

    /// The broker rejected tasks of a SUBMIT.
    static func rejected(_ rejections: [TaskRejection]) -> BenchError {
        BenchError("the broker rejected tasks: \(rejections.first?.reason ?? "")")
    }

    /// The broker refused a message as a whole.
    static func refused(_ message: String) -> BenchError {
        BenchError("the broker refused a submission: \(message)")
    }
}
