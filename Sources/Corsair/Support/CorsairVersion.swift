/// The version of Corsair's own programs, as a worker offers it in READY (`version=…`) and status pages show it.
public enum CorsairVersion {
    /// This build's version.
    public static let current = "0.9.0"
}
