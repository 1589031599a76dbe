extension ClientProtocol {
    /// A new random session: 16 bytes, so that two clients never pick the same one by chance.
    public static func randomSession() -> [UInt8] {
        (0..<16).map { _ in UInt8.random(in: 0...255) }
    }
}
