import Corsair
import CorsairCLI
import CorsairHTTP
import Foundation
import Logging

extension BrokerCommand {
    /// Waits until this broker holds the lease of `journal`, a journal several brokers share: meanwhile it binds
    /// `endpoints` with a ``StandbyResponder`` (answering MMI and sending workers and clients to the active broker)
    /// and tries for the lease eight times a lease. Returns the endpoints bound, wildcard ports resolved, for the
    /// active broker to bind again.
    func standBy(
        _ journal: PostgresJournal,
        logger: Logger,
        endpoints: [String],
        security: BrokerSecurity
    ) async throws -> [String] {
        let name = "\(Self.hostName) pid \(getpid())"
        var standby: Standby?
        var holder: LeaseHolder?
        while let current = try await leaseHolder(
            of: journal, name: name, bound: standby?.bound ?? endpoints, logger: logger)
        {
            if standby == nil {
                standby = try await Standby.start(self, endpoints: endpoints, security: security, logger: logger)
            }
            if current != holder {
                logger.info(
                    "standing by", metadata: ["active": "\(current.name)", "active.endpoints": "\(current.endpoints)"])
            }
            holder = current
            standby?.responder.noteActive(current.endpoints)
            try await Task.sleep(for: lease / 8)
        }
        guard let standby else { return endpoints }
        await standby.stop()
        logger.notice(
            "took the journal's lease over: becoming the active broker", metadata: ["journal": "\(journal.location)"])
        return standby.bound
    }

    /// Who holds `journal`'s lease, or `nil` once this broker, `name` at `bound`, has taken it. While the database
    /// cannot be reached it waits a second and asks again, standing by.
    private func leaseHolder(
        of journal: PostgresJournal,
        name: String,
        bound: [String],
        logger: Logger
    ) async throws -> LeaseHolder? {
        while true {
            do {
                return try journal.acquire(name: name, endpoints: Self.advertised(bound))
            } catch {
                guard error.isUnreachable else { throw error }
                logger.warning("cannot reach the journal's database; standing by", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// What a standby broker runs: its responder on the endpoints and, with `--http`, its 503 gateway.
    struct Standby {
        let responder: StandbyResponder
        let http: Task<Void, any Error>?
        /// The endpoints bound, wildcard ports resolved.
        let bound: [String]

        /// Binds `endpoints` and `--http`, and writes `--endpoint-file`.
        static func start(
            _ command: BrokerCommand,
            endpoints: [String],
            security: BrokerSecurity,
            logger: Logger
        ) async throws -> Standby {
            let responder = try StandbyResponder(
                endpoints: endpoints, maxMessageSize: command.maxMessageSize.bytes, curve: security.curve,
                logger: logger)
            let bound = try await responder.start()
            let http = try command.startStandbyHTTP(responder: responder, logger: logger)
            if let endpointFile = command.endpointFile {
                try BrokerCommand.writeAtomically(bound.joined(separator: "\n") + "\n", to: endpointFile)
            }
            return Standby(responder: responder, http: http, bound: bound)
        }

        /// Unbinds everything, so the active broker's loop and gateway can bind it.
        func stop() async {
            await responder.stop()
            http?.cancel()
            _ = await http?.result
        }
    }

    /// With `--http`: serves ``StandbyGateway`` there until cancelled, answering 503 with the active broker's endpoints.
    func startStandbyHTTP(responder: StandbyResponder, logger: Logger) throws -> Task<Void, any Error>? {
        guard let http else { return nil }
        let address = try HTTPAddress(parsing: http)
        let gateway = StandbyGateway { responder.active }
        return Task {
            do {
                try await gateway.run(on: address, logger: logger)
            } catch  where !Task.isCancelled {
                logger.error("standby http gateway failed", metadata: ["address": "\(address)", "error": "\(error)"])
                throw error
            }
        }
    }

    /// `endpoints` as another host reaches them: a wildcard host is this host's name.
    static func advertised(_ endpoints: [String]) -> String {
        endpoints.map {
            $0.replacingOccurrences(of: "://*:", with: "://\(hostName):")
                .replacingOccurrences(of: "://0.0.0.0:", with: "://\(hostName):")
        }.joined(separator: ",")
    }

    /// This host's name, as `hostname` prints it.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension JournalError {
    /// Whether the journal's database could not be reached or stopped answering: worth trying again.
    var isUnreachable: Bool { kind == .cannotCreate || kind == .io }
}
