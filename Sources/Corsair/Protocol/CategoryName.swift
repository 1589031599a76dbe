/// Rules for task category names, which travel as MDP service names.
///
/// A valid name is 1 to 255 bytes of UTF-8 made only of ASCII letters,
/// digits, `.`, `_` and `-`. Names starting with `mmi.` are reserved for the
/// broker's Majordomo Management Interface services.
public enum CategoryName {
    /// The longest allowed name, in UTF-8 bytes.
    public static let maxLength = 255

    /// The prefix reserved for the broker's MMI services.
    public static let reservedPrefix = "mmi."

    /// Checks a category name.
    ///
    /// - Parameter name: The name to check.
    /// - Returns: `nil` when the name is valid, otherwise a human-readable reason.
    public static func validate(_ name: String) -> String? {
        let bytes = name.utf8.count
        if bytes == 0 {
            return "a category name must not be empty"
        }
        if bytes > maxLength {
            return "a category name must be at most \(maxLength) bytes long (this one has \(bytes))"
        }
        if let bad = name.unicodeScalars.first(where: { !isAllowed($0) }) {
            return
                "a category name may only contain ASCII letters, digits, '.', '_' and '-' (found '\(bad.escaped(asASCII: false))')"
        }
        if name.hasPrefix(reservedPrefix) {
            return "names starting with '\(reservedPrefix)' are reserved for the broker's MMI services"
        }
        return nil
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }
}
