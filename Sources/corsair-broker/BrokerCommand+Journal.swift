import Corsair
import Foundation
import Logging

extension BrokerCommand {
    /// The journal `--journal` names, `nil` for none: an SQLite file, or a PostgreSQL database whose lease this broker
    /// holds once this returns; it stands by until then (``standBy(_:logger:endpoints:security:)``), and `endpoints`
    /// become the ones it bound, wildcard ports resolved. With `retrying` (a broker deposed once, perhaps cut off from
    /// the database), a database it cannot reach is tried again each second instead of ending the broker.
    func openJournal(
        logger: Logger,
        endpoints: inout [String],
        security: BrokerSecurity,
        retrying: Bool
    ) async throws -> (any Journal)? {
        guard journal != "none" else { return nil }
        if PostgresAddress.isAddress(journal) {
            let address = try PostgresAddress(parsing: journal, environment: ProcessInfo.processInfo.environment)
            let shared = try await connect(to: address, logger: logger, retrying: retrying)
            do {
                endpoints = try await standBy(shared, logger: logger, endpoints: endpoints, security: security)
            } catch {
                shared.close()
                throw error
            }
            return shared
        }
        let opened = try SQLiteJournal(path: journal, sync: journalSync, check: .besideRestore)
        if let repair = opened.repair {
            logger.warning("journal repaired at open", metadata: ["repair": "\(repair)"])
        }
        return opened
    }

    /// A connection to the shared journal at `address`; with `retrying`, tried each second until the database answers.
    private func connect(to address: PostgresAddress, logger: Logger, retrying: Bool) async throws -> PostgresJournal {
        while true {
            do {
                return try PostgresJournal(address: address, lease: lease)
            } catch {
                guard retrying, error.isUnreachable else { throw error }
                logger.warning("cannot reach the journal's database; trying again", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
