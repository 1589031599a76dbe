import Foundation

/// Writes `line` and a newline to standard error, where the binaries report problems so that standard output holds
/// results only.
public func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
