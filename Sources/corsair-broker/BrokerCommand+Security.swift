import Corsair
import CorsairHTTP
import Logging
import ZeroMQ

/// What `--curve-secret-key`, `--allow-workers`, `--allow-clients` and `--http-token-file` load.
struct BrokerSecurity {
    var curve: CurveKeyPair?
    var access: AccessList?
    var token: BearerToken?
}

extension BrokerCommand {
    /// Reads the key files, allow directories and token file; a bad one throws ``KeyFileError`` (exit 65), naming it.
    /// Warns when CURVE lets any key in, and when HTTP listens beyond loopback without a token.
    func loadSecurity(logger: Logger, httpAddress: HTTPAddress?) throws -> BrokerSecurity {
        var security = BrokerSecurity()
        if let curveSecretKey {
            guard Context.hasCurve else {
                throw KeyFileError(path: curveSecretKey, "this libzmq was built without CURVE")
            }
            security.curve = try CurveKeyFile.readKeyPair(at: curveSecretKey)
            if allowWorkers != nil || allowClients != nil {
                security.access = try AccessList.load(workers: allowWorkers, clients: allowClients)
            } else {
                logger.warning(
                    "CURVE without --allow-workers or --allow-clients: traffic is encrypted, but any key may connect")
            }
        }
        if let httpTokenFile {
            security.token = try BearerToken.load(from: httpTokenFile)
        }
        if let httpAddress, security.token == nil, !Self.isLoopback(httpAddress.host) {
            logger.warning(
                "HTTP API beyond loopback without --http-token-file: anyone who reaches it can read and submit tasks",
                metadata: ["address": "\(httpAddress)"])
        }
        return security
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
