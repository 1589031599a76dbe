import Corsair
import Testing

/// How clients split tasks into SUBMITs: by count and by bytes, in order, a large task alone.
@Suite struct SubmitChunkerTests {
    private func tasks(_ count: Int, payload: Int) -> [TaskSpec] {
        (0..<count).map { TaskSpec(id: String($0), category: "c", payload: [UInt8](repeating: 7, count: payload)) }
    }

    @Test("splits small tasks every 1 000, keeping their order")
    func byCount() {
        let chunks = SubmitChunker.chunks(of: tasks(2_500, payload: 8))
        #expect(chunks.map(\.count) == [1000, 1000, 500])
        #expect(chunks.joined().map(\.id) == (0..<2_500).map { String($0) })
    }

    @Test("splits by bytes before the count is reached: 64 KiB tasks about 16 to a SUBMIT")
    func byBytes() {
        let chunks = SubmitChunker.chunks(of: tasks(40, payload: 64 << 10))
        #expect(chunks.count == 3)
        #expect(chunks.joined().count == 40)
        for chunk in chunks {
            #expect(chunk.map(SubmitChunker.size(of:)).reduce(0, +) <= SubmitChunker.standardBytes)
        }
    }

    @Test("sends a task larger than the byte limit alone, and neither drops nor merges it")
    func largeTaskAlone() {
        let large = TaskSpec(id: "big", category: "c", payload: [UInt8](repeating: 1, count: 3 << 20))
        let small = tasks(3, payload: 8)
        let chunks = SubmitChunker.chunks(of: [small[0], large, small[1], small[2]])
        #expect(chunks.map { $0.map(\.id) } == [["0"], ["big"], ["1", "2"]])
    }

    @Test("gathers one task at a time: add hands back a full chunk, finish the rest, then nothing")
    func gathering() {
        var chunker = SubmitChunker(maxCount: 2, maxBytes: 100)
        let three = tasks(3, payload: 10)
        #expect(chunker.add(three[0]) == nil)
        #expect(chunker.add(three[1]) == nil)
        #expect(chunker.add(three[2]) == Array(three[0..<2]))
        #expect(chunker.finish() == [three[2]])
        #expect(chunker.finish() == nil)
        #expect(SubmitChunker.chunks(of: [TaskSpec]()).isEmpty)
    }
}
