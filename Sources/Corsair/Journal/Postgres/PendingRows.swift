import DequeModule

/// The log rows a PostgreSQL journal has committed and not yet folded, oldest first, with the records they hold in
/// all: the writer asks for that backlog at every turn of its loop, so it is kept, not summed again.
struct PendingRows {
    private var rows = Deque<(sequence: Int64, count: Int)>()
    /// How many records the rows hold.
    private(set) var records = 0

    /// Notes a committed row, newer than every row held.
    mutating func append(sequence: Int64, count: Int) {
        rows.append((sequence, count))
        records += count
    }

    /// The sequence number of the row at which `limit` records' worth of the oldest rows is reached (the newest row
    /// when they hold fewer); `nil` when none is held.
    func last(coveringRecords limit: Int) -> Int64? {
        var count = 0
        var last: Int64?
        for row in rows where count < limit {
            count += row.count
            last = row.sequence
        }
        return last
    }

    /// Forgets the rows up to sequence number `last`, once folded.
    mutating func removeThrough(_ last: Int64) {
        while let row = rows.first, row.sequence <= last {
            records -= row.count
            rows.removeFirst()
        }
    }
}
