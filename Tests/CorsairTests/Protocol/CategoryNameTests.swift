import Testing

@testable import Corsair

@Suite struct CategoryNameTests {
    @Test(arguments: [
        "a", "render", "build.linux-x86_64", "A_b-9", "mmi", "MMI.x", "xmmi.", String(repeating: "x", count: 255),
    ])
    func acceptsValidNames(name: String) {
        #expect(CategoryName.validate(name) == nil)
    }

    @Test(arguments: [
        ("", "must not be empty"),
        (String(repeating: "x", count: 256), "at most 255 bytes long (this one has 256)"),
        ("a b", "found ' '"),
        ("a/b", "found '/'"),
        ("é", "found 'é'"),
        ("a\tb", "found '\\t'"),
        ("mmi.service", "reserved for the broker's MMI services"),
        ("mmi.", "reserved for the broker's MMI services"),
    ])
    func rejectsInvalidNames(name: String, reason: String) throws {
        let message = try #require(CategoryName.validate(name))
        #expect(message.contains(reason))
    }
}
