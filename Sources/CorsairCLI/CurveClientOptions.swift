public import ArgumentParser
public import Corsair

/// `--curve-server-key FILE --curve-key FILE`: what a worker or client needs to talk to a CURVE broker.
public struct CurveClientOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The broker's CURVE public key file (its .pub); with --curve-key, every message to the broker is "
                + "encrypted and the broker is authenticated.",
            valueName: "file"))
    public var curveServerKey: String?

    @Option(
        help: ArgumentHelp(
            "This peer's CURVE secret key file (a .key from `corsair keygen`, mode 0600); its .pub must be in the "
                + "broker's --allow-workers or --allow-clients directory.",
            valueName: "file"))
    public var curveKey: String?

    /// Creates the options; ArgumentParser fills them.
    public init() {}

    public func validate() throws {
        guard (curveServerKey == nil) == (curveKey == nil) else {
            throw ValidationError("--curve-server-key and --curve-key go together")
        }
    }

    /// The keys, or `nil` when CURVE is off.
    ///
    /// - Throws: ``Corsair/KeyFileError`` naming the file that is unreadable, malformed or open to others (exit 65).
    public func load() throws(KeyFileError) -> CurveClientKeys? {
        guard let curveServerKey, let curveKey else { return nil }
        return try CurveClientKeys.load(serverKeyFile: curveServerKey, keyFile: curveKey)
    }
}
