extension Array {
    /// The element at `index`, or `nil` when there is none: `try #require(sent.element(at: 1))` fails one test where
    /// `sent[1]` would crash the whole test run.
    func element(at index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
