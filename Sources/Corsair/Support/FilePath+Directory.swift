import SystemPackage

extension FilePath {
    /// The directory that holds the file this path names: `.` for a bare name.
    ///
    /// Not `NSString.deletingLastPathComponent`: swift-corelibs-foundation traps on a one-character path, so
    /// `corsair-broker --journal j` crashed at start.
    var directory: String {
        let parent = removingLastComponent()
        return parent.isEmpty ? "." : parent.string
    }

    /// The last component's name, or the whole path when it has none.
    var name: String { lastComponent?.string ?? string }
}
