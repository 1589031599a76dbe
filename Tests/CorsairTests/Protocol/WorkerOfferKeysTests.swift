import Testing

@testable import Corsair

@Suite struct WorkerOfferKeysTests {
    @Test("round-trips the optional version and shutdown keys, and leaves them out when unset")
    func versionAndShutdown() throws {
        var offer = WorkerOffer(credit: 2, heartbeatInterval: .seconds(1), name: "w")
        offer.version = "0.9.0"
        offer.acceptsShutdown = true
        let text = String(decoding: offer.encoded, as: UTF8.self)
        #expect(text.contains("\nversion=0.9.0"))
        #expect(text.contains("\nshutdown=1"))
        #expect(try WorkerOffer(decoding: offer.encoded, frame: 4, of: 5) == offer)
        let plain = WorkerOffer(credit: 2, heartbeatInterval: .seconds(1), name: "w")
        #expect(!String(decoding: plain.encoded, as: UTF8.self).contains("version"))
        #expect(try WorkerOffer(decoding: plain.encoded, frame: 4, of: 5).acceptsShutdown == false)
    }

    @Test("ignores a version that is empty or too long, and a shutdown value other than 1")
    func invalidValues() throws {
        let long = String(repeating: "v", count: 65)
        let text = "credit=1\nheartbeat-ms=1000\nname=w\nversion=\(long)\nshutdown=yes"
        let offer = try WorkerOffer(decoding: Array(text.utf8), frame: 4, of: 5)
        #expect(offer.version == nil)
        #expect(offer.acceptsShutdown == false)
    }
}
