import Foundation

/// What `/proc` says about a process: CPU time used and peak resident memory.
struct ProcessUsage {
    /// User plus system CPU time.
    var cpu: Duration
    /// Peak resident set size (VmHWM), in bytes.
    var peakResident: Int
    /// Resident set size now (VmRSS), in bytes.
    var resident: Int

    init(of pid: Int32) throws {
        let fields = try Self.statFields(of: pid)
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else {
            throw BenchError("cannot read CPU times from /proc/\(pid)/stat")
        }
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        cpu = .milliseconds((user + system) * 1000 / ticks)
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8).split(separator: "\n")
        func bytes(_ field: String) -> Int {
            let line = status.first { $0.hasPrefix(field) }
            let kilobytes = line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
            return (kilobytes ?? 0) * 1024
        }
        peakResident = bytes("VmHWM:")
        resident = bytes("VmRSS:")
    }

    /// The fields of `/proc/PID/stat` after the command name (which is in parentheses and may hold spaces): the
    /// state first, then the parent, and so on.
    static func statFields(of pid: Int32) throws -> [Substring] {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("cannot read /proc/\(pid)/stat") }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
