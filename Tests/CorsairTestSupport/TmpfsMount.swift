public import Foundation

/// A small tmpfs mounted on a test's directory, for disk-full tests (needs root; tests run as root in CI).
public enum TmpfsMount {
    /// Whether this process may mount a tmpfs; a suite that needs one is skipped where it may not.
    public static let permitted: Bool = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-mount-\(UUID())")
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
            mount(directory, size: "64k")
        else { return false }
        unmount(directory)
        try? FileManager.default.removeItem(at: directory)
        return true
    }()

    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it) on `directory`; returns whether it did.
    @discardableResult
    public static func mount(_ directory: URL, size: String) -> Bool {
        run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.path]) == 0
    }

    /// Unmounts what is mounted on `directory`.
    public static func unmount(_ directory: URL) {
        run("/bin/umount", [directory.path])
    }

    @discardableResult
    private static func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
