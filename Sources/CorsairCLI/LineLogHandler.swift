import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one line per event, as text or JSON, to standard error or a file.
///
/// swift-log ships only a stream handler for stdout and stderr; `--log-file` and `--log-format json` need this one.
public struct LineLogHandler: LogHandler {
    /// Where lines go. Shared by every handler of the process; writes are serialised by a lock.
    public final class Sink: Sendable {
        private let descriptor: Mutex<Int32>

        private init(_ descriptor: Int32) {
            self.descriptor = Mutex(descriptor)
        }

        /// Standard error.
        public static let standardError = Sink(STDERR_FILENO)

        /// Opens `path` for appending, or returns `nil` when it cannot.
        public static func open(path: String) -> Sink? {
            let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            return descriptor < 0 ? nil : Sink(descriptor)
        }

        func write(_ line: String) {
            var bytes = Array(line.utf8)
            descriptor.withLock { descriptor in
                var offset = 0
                while offset < bytes.count {
                    let written = bytes.withUnsafeMutableBytes {
                        Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
                    }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 { return }
                    offset += written
                }
            }
        }
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink
    private let json: Bool

    /// Creates a handler for `label` writing to `sink`.
    public init(label: String, sink: Sink, json: Bool) {
        self.label = label
        self.sink = sink
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let timestamp = Self.timestamp()
        if json {
            var object: [String: String] = [
                "time": timestamp, "level": event.level.rawValue, "label": label, "message": "\(event.message)",
            ]
            for (key, value) in merged { object[key] = "\(value)" }
            let data =
                (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
                ?? Data()
            sink.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.write(
                "\(timestamp) \(event.level.rawValue) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
            )
        }
    }

    private static func timestamp() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }
}
