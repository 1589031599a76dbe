/// CANCEL, broker to worker: stop the attempt whose envelope follows, because its task was cancelled.
///
/// Frames: `MDPW02`, `0x15`, the attempt's envelope (the ``AssignmentToken`` of its REQUEST or TASKS entry). A broker
/// sends it only to a worker that offered `cancel=1` in READY (``WorkerOffer/cancels``), so a plain MDP worker or an
/// older Corsair worker never sees it. The worker cancels the handler (an `--exec` child is killed with its process
/// group) and answers the attempt as usual; the broker has already ended the task, so that answer only frees the
/// attempt's unit of credit. A CANCEL for an attempt the worker no longer holds is ignored.
public enum AttemptCancel {
    /// The command byte, after MDP/Worker's 0x01…0x06 and TASKS/RESULTS' 0x11 and 0x12.
    public static let command: UInt8 = 0x15
}
