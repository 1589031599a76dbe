import Foundation
import Glibc
import SystemPackage

/// Segment files reused instead of written anew (``CommitLog``, "Reuse").
extension CommitLog {
    /// The path of the spare kept from segment `number` of the journal at `journal`.
    static func sparePath(journal: String, _ number: UInt64) -> String {
        journal + "-log-spare-" + eightDigits(number)
    }

    /// The spares of the journal at `path` on disk.
    static func spares(journal path: String) -> [String] {
        let name = FilePath(path).name
        let names = (try? FileManager.default.contentsOfDirectory(atPath: FilePath(path).directory)) ?? []
        return names.filter { $0.hasPrefix(name + "-log-spare-") }.map { path + $0.dropFirst(name.count) }
    }

    /// Whether folded segments' files are kept for reuse: with ``JournalSync/full``, where zeros are written ahead too.
    private var reuses: Bool { sync == .full && Self.roomForZeros(beside: journalPath) }

    /// Keeps folded segment `number`'s file as a spare, if there is room for one and it is whole and written with
    /// numbered frames (an older log's frames name no segment, so they could read as a later segment's); returns
    /// whether it did.
    func keepSpare(_ number: UInt64, in state: inout State) -> Bool {
        let path = segmentPath(number)
        guard state.spares.count < Self.maximumSpares, reuses, Self.holdsNumberedFrames(path, size: segmentBytes)
        else { return false }
        let spare = Self.sparePath(journal: journalPath, number)
        guard rename(path, spare) == 0 else { return false }
        state.spares.append(spare)
        return true
    }

    /// Renames the oldest spare to `path`, syncing the directory with ``JournalSync/full`` so that the name the
    /// frames are written under survives a power loss; returns the file's size, or `nil` when there was no spare
    /// or the rename failed.
    func takeSpare(_ state: inout State, as path: String) -> Int? {
        guard !state.spares.isEmpty else { return nil }
        let spare = state.spares.removeFirst()
        guard rename(spare, path) == 0 else {
            unlink(spare)
            return nil
        }
        if sync == .full {
            Self.syncDirectory(of: path)
        }
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// The whole log is folded (the journal is closing): the newest segment's file becomes segment `next`, where the
    /// next open appends, and the spares go; returns the files to delete.
    func retire(_ state: inout State, as next: UInt64) -> [String] {
        let newest = segmentPath(state.segment)
        var unwanted = state.spares
        state.spares = []
        if !(reuses && Self.holdsNumberedFrames(newest, size: 0) && rename(newest, segmentPath(next)) == 0) {
            unwanted.append(newest)
        }
        return unwanted
    }

    /// Whether the file at `path` is at least `size` bytes and starts with a numbered frame, or with nothing.
    private static func holdsNumberedFrames(_ path: String, size: Int) -> Bool {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { Glibc.close(descriptor) }
        var magic: UInt32 = 0
        let read = pread(descriptor, &magic, 4, 0)
        let length = Int(lseek(descriptor, 0, SEEK_END))
        return length >= size && (read == 0 || (read == 4 && UInt32(littleEndian: magic) != unnumberedMagic))
    }

    /// Writes a new journal's first segment with zeros whole and syncs it, where there is room
    /// (``prefillMinimumFree``), so that its commits overwrite from the first; returns its size.
    ///
    /// This is the only time a broker writes a whole segment's zeros, 0.1–0.2 s at open on this disk: later segments
    /// are spares, or get their zeros a MiB at a time.
    static func prepareFirstSegment(_ path: String, journal: String, sync: JournalSync, bytes: Int) -> Int {
        guard sync == .full, roomForZeros(beside: journal) else { return 0 }
        let descriptor = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { Glibc.close(descriptor) }
        return ZeroFill.fill(descriptor, from: 0, to: bytes) ? bytes : 0
    }
}
