public import ArgumentParser
public import Corsair

/// `--discover [NAME]` for the worker and the client commands: take the broker from the first beacon of that name.
public struct DiscoveryOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Find the broker on the LAN: use the first corsair-broker --announce beacon of this name (default corsair).",
            discussion: "Replaces --broker. Off by default.", valueName: "name"))
    public var discover: String?

    @Option(help: "With --discover: the UDP port to listen on.")
    public var discoverPort: Int = Int(Beacon.defaultPort)

    @Option(help: "With --discover: how long to listen before giving up (exit 69).")
    public var discoverTimeout: Duration = .seconds(10)

    public init() {}

    public func validate() throws {
        guard (1...65_535).contains(discoverPort) else {
            throw ValidationError("--discover-port must be in 1…65535, got \(discoverPort)")
        }
        if let discover, !(1...255).contains(discover.utf8.count) {
            throw ValidationError("--discover name must be 1…255 bytes")
        }
    }

    /// The broker endpoint: `broker` without `--discover`, else the one the first matching beacon names.
    ///
    /// - Throws: ``BrokerDiscovery/NotFound`` (exit 69) when no beacon of the name comes in time.
    public func endpoint(or broker: String) throws -> (endpoint: String, found: BrokerDiscovery.Found?) {
        guard let discover else { return (broker, nil) }
        let found = try BrokerDiscovery.find(
            name: discover, port: UInt16(discoverPort), timeout: discoverTimeout)
        return (found.endpoint, found)
    }

    /// ``endpoint(or:)`` for a command-line client: what went wrong is printed, and thrown as its exit status.
    public func resolve(_ broker: String) throws -> String {
        do {
            return try endpoint(or: broker).endpoint
        } catch {
            printError("corsair: \(error)")
            throw ExitStatus.forError(error)
        }
    }

    /// Every binary's arguments with a bare `--discover` given the default name.
    public static func expand(_ arguments: [String]) -> [String] {
        OptionalValue.expand(arguments, option: "--discover", defaultValue: Beacon.defaultName)
    }
}
