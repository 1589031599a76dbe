public import ArgumentParser
public import Corsair
public import Logging

/// Lets options take durations such as `250ms`, `10s`, `1.5s`, `2m` (a bare number is seconds).
extension Duration: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        guard let duration = DurationParser.parse(argument) else { return nil }
        self = duration
    }

    public var defaultValueDescription: String { DurationParser.format(self) }
}

/// Lets `--format plain|jsonl` parse straight into the batch format.
extension BatchFormat: ExpressibleByArgument {}

/// Lets `--log-level` parse straight into a swift-log level.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Lets `--journal-sync full|normal` parse straight into the journal's sync mode.
extension JournalSync: ExpressibleByArgument {}
