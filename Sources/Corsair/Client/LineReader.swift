import Foundation

/// Reads a file a line at a time through a fixed buffer, so a file of any size costs the buffer and one line.
///
/// Lines end at LF (a CR before it is dropped); the last line need not end. Owns its file handle, which closes when
/// the reader is released.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private static let chunk = 1 << 20

    /// Opens `path`.
    ///
    /// - Throws: ``BatchFileError`` at line 1 when the file cannot be opened.
    init(path: String) throws(BatchFileError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatchFileError(line: 1, column: 1, message: "cannot open '\(path)'")
        }
        self.handle = handle
    }

    /// The next line's bytes without its ending, or `nil` at the end of the file.
    func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position, buffer[end - 1] == 0x0D {
                    end -= 1
                }
                defer { position = newline + 1 }
                return buffer[position..<end]
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                defer { position = buffer.count }
                return buffer[position...]
            }
            try refill()
        }
    }

    /// Drops the lines already read from the buffer and reads the next chunk of the file.
    private func refill() throws {
        buffer.removeSubrange(0..<position)
        position = 0
        if let data = try handle.read(upToCount: Self.chunk), !data.isEmpty {
            buffer.append(contentsOf: data)
        } else {
            atEnd = true
        }
    }
}
