import Testing

@testable import corsair_bench

@Suite struct SpreadTests {
    @Test("takes the median of an odd and an even count, and the range")
    func median() {
        let odd = Spread([3, 1, 2])
        #expect(odd.median == 2 && odd.minimum == 1 && odd.maximum == 3)
        let even = Spread([4, 1, 3, 2])
        #expect(even.median == 2.5 && even.minimum == 1 && even.maximum == 4)
    }

    @Test("formats the median with the range, or alone when every run agreed")
    func formatted() {
        #expect(Spread([10.4, 9.6, 12]).formatted() == "10 (10–12)")
        #expect(Spread([1.234, 1.5]).formatted(digits: 2) == "1.37 (1.23–1.50)")
        #expect(Spread([7, 7]).formatted() == "7")
    }
}
