/// SHUTDOWN, the broker's order to a Corsair worker connection to stop for good (`corsair shutdown`).
///
/// `MDPW02 · 0x18 · mode`: one mode byte, `0` to finish the tasks in flight first, `1` to hand them back now
/// (outcome ``TaskOutcome/handedBack``). Either way the worker then sends DISCONNECT, closes the connection and does
/// not reconnect; a worker whose connections have all stopped exits 0. The broker sends it only to workers that
/// offered `shutdown=1` in READY (``WorkerOffer/acceptsShutdown``), so plain MDP workers never see it.
public enum WorkerShutdown {
    /// The command byte, frame 1.
    public static let command: UInt8 = 0x18

    /// The mode byte: finish the tasks in flight first.
    static let finishTasks: UInt8 = 0
    /// The mode byte: hand the tasks in flight back now.
    static let handBack: UInt8 = 1
}
