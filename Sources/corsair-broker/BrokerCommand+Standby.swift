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
        guard let first = try journal.acquire(name: name, endpoints: Self.advertised(endpoints)) else {
            return endpoints
        }
        let responder = try StandbyResponder(
            endpoints: endpoints, maxMessageSize: maxMessageSize.bytes, curve: security.curve, logger: logger)
        let bound = try await responder.start()
        let http = try startStandbyHTTP(responder: responder, logger: logger)
        defer { http?.cancel() }
        if let endpointFile {
            try Self.writeAtomically(bound.joined(separator: "\n") + "\n", to: endpointFile)
        }
        var holder = first
        logger.info("standing by", metadata: ["active": "\(holder.name)", "active.endpoints": "\(holder.endpoints)"])
        while true {
            responder.noteActive(holder.endpoints)
            try await Task.sleep(for: lease / 8)
            let current: LeaseHolder?
            do {
                current = try journal.acquire(name: name, endpoints: Self.advertised(bound))
            } catch {
                guard error.isUnreachable else { throw error }
                // The database or the link to it is down: stand by, and keep asking.
                logger.warning(
                    "cannot reach the journal's database; still standing by", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
                continue
            }
            guard let current else { break }
            if current != holder {
                logger.info(
                    "standing by", metadata: ["active": "\(current.name)", "active.endpoints": "\(current.endpoints)"])
            }
            holder = current
        }
        await responder.stop()
        if let http {
            http.cancel()
            // Let the port go before the gateway binds it.
            _ = await http.result
        }
        logger.notice(
            "took the journal's lease over: becoming the active broker", metadata: ["journal": "\(journal.location)"])
        return bound
    }

    /// With `--http`: serves ``StandbyGateway`` there until cancelled, answering 503 with the active broker's endpoints.
    private func startStandbyHTTP(responder: StandbyResponder, logger: Logger) throws -> Task<Void, any Error>? {
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
