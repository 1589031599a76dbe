/// How many bytes a task's result may have, and how a larger one fails.
///
/// A result travels to the broker in one message, and the broker refuses a message over its `--max-message-size`
/// (libzmq drops the connection of a far larger one). So the limit is the broker's message limit, which a Corsair
/// broker states when it acknowledges the worker (`max-message-bytes=N`), less ``framingAllowance``; the worker's
/// `--max-result-size` may lower it. A result over it fails the task for good (retrying elsewhere cannot make it
/// smaller) with a reason that starts `result_too_large` and names the limit.
public enum ResultLimit {
    /// Bytes of a result message that are not the result: MDP frames, envelope, outcome, a batch entry's header.
    public static let framingAllowance = 1024
    /// The message limit assumed when the broker does not state one (a plain MDP broker): Corsair's default
    /// `--max-message-size`.
    public static let defaultMessageBytes = 16 << 20

    /// The result limit under a broker whose message limit is `messageBytes` (``defaultMessageBytes`` when `nil`),
    /// lowered to `workerLimit` when that is given and smaller, and never over what a result's `u32` length carries
    /// (``WireLengthError/maximumU32Length``), whatever an older broker says its limit is.
    public static func bytes(messageBytes: Int?, workerLimit: Int?) -> Int {
        let broker = max(0, (messageBytes ?? defaultMessageBytes) - framingAllowance)
        return min(broker, workerLimit ?? .max, WireLengthError.maximumU32Length)
    }

    /// The failure for a result over `limit` bytes; `what` says what was too large, e.g. "the result is 20 MB".
    public static func failure(_ what: String, limit: Int) -> TaskFailure {
        TaskFailure(
            "result_too_large: \(what), over the \(limit)-byte result limit (the broker's --max-message-size less "
                + "\(framingAllowance) bytes of framing, or the worker's --max-result-size if lower)",
            isRetryable: false)
    }
}
