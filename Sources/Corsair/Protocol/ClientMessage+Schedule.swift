/// The schedule section of a SUBMIT's task frame: when delayed tasks may first run.
///
/// The task layout has no room for a new field, so the not-before times follow the last task as a section of their
/// own, sent only when some task has one: section `u8` (`0x01`), entry count `u32`, then per entry the task's index
/// in the frame `u32`, a kind `u8` (`0` a delay, `1` a not-before Unix time) and milliseconds `u64`. A broker that
/// predates it refuses the whole SUBMIT (bytes after the last task), so a delayed task is never run early by mistake;
/// a SUBMIT without the section is read by every broker as before. See docs/PROTOCOL.md.
extension ClientMessage {
    /// The section byte that starts the schedules.
    static let scheduleSection: UInt8 = 0x01

    /// Writes the schedule section for `tasks` when any of them has a schedule.
    static func writeSchedules(of tasks: [TaskSpec], into writer: inout WireWriter) {
        let scheduled = tasks.indices.compactMap { index in tasks[index].schedule.map { (index, $0) } }
        guard !scheduled.isEmpty else { return }
        writer.write(scheduleSection)
        writer.write(UInt32(scheduled.count))
        for (index, schedule) in scheduled {
            writer.write(UInt32(index))
            switch schedule {
            case .delay(let delay):
                writer.write(UInt8(0))
                writer.write(UInt64(max(0, delay.wholeMilliseconds)))
            case .notBefore(let milliseconds):
                writer.write(UInt8(1))
                writer.write(milliseconds)
            }
        }
    }

    /// Reads what follows the last task, if anything: the schedule section, setting the schedules of `tasks`.
    static func readSections(into tasks: inout [TaskSpec], from reader: inout WireReader) throws(ProtocolError) {
        guard !reader.isAtEnd else { return }
        let section = try reader.read(UInt8.self, "section after the tasks")
        guard section == scheduleSection else {
            throw reader.error("unknown SUBMIT section \(hex(section)) after \(tasks.count) tasks")
        }
        let count = try reader.readCount("schedule", entryBytes: 13, minimum: 1)
        for entry in 0..<count {
            let index = Int(try reader.read(UInt32.self, "schedule \(entry) task index"))
            let kind = try reader.read(UInt8.self, "schedule \(entry) kind")
            let milliseconds = try reader.read(UInt64.self, "schedule \(entry) milliseconds")
            guard tasks.indices.contains(index) else {
                throw reader.error("schedule \(entry) names task \(index) of \(tasks.count)")
            }
            switch kind {
            case 0:
                guard milliseconds <= UInt64(DurationParser.maximum.wholeMilliseconds) else {
                    throw reader.error("schedule \(entry) delay \(milliseconds) ms is over one year")
                }
                tasks[index].schedule = .delay(.milliseconds(Int64(milliseconds)))
            case 1:
                tasks[index].schedule = .notBefore(unixMilliseconds: milliseconds)
            default:
                throw reader.error("schedule \(entry) has unknown kind \(hex(kind))")
            }
        }
        try reader.expectEnd("\(count) schedules")
    }
}
