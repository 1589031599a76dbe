public import ArgumentParser
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `--log-level`, `--log-file` and `--log-format`, shared by every binary.
public struct LoggingOptions: ParsableArguments {
    /// How log lines are written.
    public enum Format: String, ExpressibleByArgument, CaseIterable, Sendable {
        case text, json
    }

    @Option(
        help: ArgumentHelp(
            "Lowest level logged: trace, debug, info, notice, warning, error, critical.",
            discussion: "Falls back to the LOG_LEVEL environment variable, then info."))
    public var logLevel: Logger.Level?

    @Option(help: "Append log lines to this file instead of standard error.")
    public var logFile: String?

    @Option(help: "Log line format: text or json.")
    public var logFormat: Format = .text

    /// Creates the options with their defaults (ArgumentParser fills them in).
    public init() {}

    /// Checks that the log file can be opened.
    public func validate() throws {
        if let logFile, LineLogHandler.Sink.open(path: logFile) == nil {
            throw ValidationError("cannot open log file '\(logFile)' for appending")
        }
    }

    /// Sets up swift-log once for the process and returns the binary's logger.
    ///
    /// - Parameter label: the logger label, for example `corsair.broker`.
    public func bootstrap(label: String) -> Logger {
        let level = logLevel ?? Self.environmentLevel ?? .info
        let sink = logFile.flatMap { LineLogHandler.Sink.open(path: $0) } ?? .standardError
        let format = logFormat
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label, sink: sink, json: format == .json)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    private static var environmentLevel: Logger.Level? {
        guard let value = getenv("LOG_LEVEL") else { return nil }
        return Logger.Level(rawValue: String(cString: value).lowercased())
    }
}
