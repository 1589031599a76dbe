public import ArgumentParser
import Corsair
public import ZeroMQ

/// The exit codes every Corsair binary uses (sysexits where one fits).
public enum ExitStatus {
    /// Everything worked, including a clean stop on SIGTERM or SIGINT.
    public static let success = ExitCode(0)
    /// The batch finished, but some tasks failed for good (`corsair submit`).
    public static let tasksFailed = ExitCode(1)
    /// Bad command-line usage (EX_USAGE).
    public static let usage = ExitCode(64)
    /// Bad input data, such as a malformed batch file (EX_DATAERR).
    public static let dataError = ExitCode(65)
    /// The broker could not be reached, or an endpoint could not be bound (EX_UNAVAILABLE).
    public static let unavailable = ExitCode(69)
    /// An internal error (EX_SOFTWARE).
    public static let software = ExitCode(70)
    /// The broker's journal cannot be created or is held by another broker (EX_CANTCREAT).
    public static let cannotCreate = ExitCode(73)
    /// The broker's journal cannot be read or written: corrupt, truncated, an I/O error (EX_IOERR).
    public static let ioError = ExitCode(74)
    /// A temporary failure, worth retrying later: the broker's journal is full, or the batch holds as many unfinished
    /// tasks as the broker allows one client (EX_TEMPFAIL).
    public static let temporaryFailure = ExitCode(75)
    /// The broker was reached but refused this key: not in its allow lists, or not in this role (EX_NOPERM).
    public static let noPermission = ExitCode(77)

    /// The table for `--help` discussions and the README.
    public static let helpText = """
        Exit codes:
          0   success (including a clean stop on SIGTERM/SIGINT)
          1   the batch finished but some tasks failed permanently or were cancelled (corsair submit,
              corsair wait); some id was not found (corsair cancel); no such worker (corsair workers ID)
          64  usage error
          65  bad input data (batch file, JSON lines, a submission the broker refused, a task too large for
              the wire, a bad key file)
          69  broker unavailable, an endpoint could not be bound, or the CURVE handshake failed (a plaintext
              client of a CURVE broker, a wrong --curve-server-key)
          70  internal error
          73  the broker's journal cannot be created, or another broker holds it
          74  the broker's journal is corrupt or cannot be read or written
          75  temporary failure: the broker refused tasks because its journal is full (journal_full) or the
              batch holds as many unfinished tasks as it allows one client (client_queue_full)
          77  the broker refused this client's CURVE key: in neither allow directory, or a worker's key
        """
}

extension ExitStatus {
    /// The exit status for `error`, which ended a command: the one mapping every binary uses.
    public static func forError(_ error: any Error) -> ExitCode {
        switch error {
        case let code as ExitCode:
            code
        case is AccessRefused:
            noPermission
        case let failure as HandshakeFailure where failure.keyRefused:
            noPermission
        case is any UnavailableError:
            unavailable
        case let error as ZeroMQError:
            error.isEndpointProblem ? usage : unavailable
        case is BatchFileError, is KeyFileError, is WireLengthError:
            dataError
        case let error as JournalError:
            ExitCode(error.exitCode)
        case BatchClient.Failure.brokerError:
            dataError
        case BatchClient.Failure.journalFull, BatchClient.Failure.clientQueueFull:
            temporaryFailure
        case is BatchClient.Failure, is StatusClient.Failure:
            unavailable
        default:
            software
        }
    }

    /// Runs a command's work: what `body` throws is handed to `report` (unless it is already an `ExitCode`) and thrown
    /// again as its exit status. Either way the process's ZeroMQ context is ended last, so that messages still
    /// queued (a worker's DISCONNECT, a client's last PING) leave within their sockets' linger.
    public static func run(
        reporting report: (any Error) -> Void,
        _ body: () async throws -> Void
    ) async throws {
        defer { Context.terminateShared() }
        do {
            try await body()
        } catch let code as ExitCode {
            throw code
        } catch {
            report(error)
            throw forError(error)
        }
    }
}

extension ZeroMQError {
    /// Whether the error means a malformed endpoint (a usage error) rather than an unreachable or busy one.
    public var isEndpointProblem: Bool {
        code == .invalidArgument || code == .protocolNotSupported || code == .noSuchDevice
    }
}
