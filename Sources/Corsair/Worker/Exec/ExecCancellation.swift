#if canImport(Glibc)
import Glibc
import Synchronization

/// Wakes an ``ExecSession``'s `poll` when its task is cancelled: a pipe whose read end turns readable.
///
/// ``cancel()`` may come from any thread at any time, also after the session ended, so the pipe is written and
/// closed under one lock: a late cancel never writes to a descriptor number that has since been reused.
final class ExecCancellation: Sendable {
    private struct State {
        var isClosed = false
    }

    private let state = Mutex(State())
    /// Readable once the task is cancelled; for the session's `poll`.
    let descriptor: Int32
    private let writeDescriptor: Int32

    /// Creates the pipe.
    init() throws(ExecError) {
        let pipe = try ExecSystemCalls.pipe()
        ExecSystemCalls.setNonBlocking(pipe.write)
        descriptor = pipe.read
        writeDescriptor = pipe.write
    }

    /// Asks the session to kill the command. Callable from any thread; does nothing once ``close()`` ran.
    func cancel() {
        state.withLock { state in
            guard !state.isClosed else { return }
            var byte: UInt8 = 1
            _ = write(writeDescriptor, &byte, 1)
        }
    }

    /// Closes the pipe; the session calls it when it has ended.
    func close() {
        state.withLock { state in
            guard !state.isClosed else { return }
            state.isClosed = true
            Glibc.close(descriptor)
            Glibc.close(writeDescriptor)
        }
    }
}
#endif
