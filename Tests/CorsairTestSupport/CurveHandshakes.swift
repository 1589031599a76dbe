import Corsair
import Foundation
import ZeroMQ

/// CURVE handshakes against a broker from keys it has never seen, for tests of its ZAP handler under load: each one
/// that completes reaches ZAP, which must refuse it; one made with a wrong server key must be dropped at its HELLO.
/// The broker's `corsair_auth_refused_total` counts the outcomes.
public enum CurveHandshakes {
    /// Starts `count` handshakes with `endpoint`, `parallel` at a time, each from a new DEALER with a fresh key pair,
    /// each given `pause` to finish before its socket closes. Every `wrongServerKeyEvery`-th one uses a random
    /// server key instead of the one in `serverKeyFile`.
    ///
    /// No socket monitor watches them: thousands of monitored sockets outran libzmq's reaper in a test process and
    /// hit its limit of 1 023 sockets.
    ///
    /// - Throws: ``Corsair/KeyFileError`` for a bad server key file; ``ZeroMQ/ZeroMQError`` when libzmq refuses a
    ///   socket or a key.
    public static func run(
        count: Int,
        endpoint: String,
        serverKeyFile: String,
        wrongServerKeyEvery: Int,
        parallel: Int = 32,
        pause: Duration = .milliseconds(50)
    ) throws {
        let serverKey = try CurveKeyFile.readPublicKey(at: serverKeyFile)
        var started = 0
        while started < count {
            let round = min(parallel, count - started)
            var sockets: [Socket] = []
            defer {
                for socket in sockets {
                    socket.close()
                }
            }
            for index in started..<started + round {
                let wrong = index % wrongServerKeyEvery == wrongServerKeyEvery - 1
                let keys = try CurveKeyPair.generate()
                let socket = try Socket(context: Context.shared, type: .dealer)
                sockets.append(socket)
                try socket.setCurveServerKey(try wrong ? CurveKeyPair.generate().publicKey : serverKey)
                try socket.setCurvePublicKey(keys.publicKey)
                try socket.setCurveSecretKey(keys.secretKey)
                try socket.connect(endpoint)
            }
            started += round
            Thread.sleep(forTimeInterval: pause / .seconds(1))
        }
    }
}
