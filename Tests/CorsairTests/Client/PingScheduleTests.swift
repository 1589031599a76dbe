import Testing

@testable import Corsair

/// When a batch client pings its broker (``PingSchedule``): after a second with nothing sent, and after every 8 MiB
/// received, so that the broker, which withholds results from a client that sends nothing for `--client-unread-bytes`,
/// sees a reading client read.
@Suite struct PingScheduleTests {
    let t0 = ContinuousClock.now

    @Test("a ping is due after 8 MiB received, before the interval passes; sending starts the count afresh")
    func afterEightMiB() {
        var pings = PingSchedule(interval: .seconds(1), now: t0)
        let soon = t0 + .milliseconds(10)
        pings.received(PingSchedule.acknowledgementBytes - 1)
        #expect(!pings.isDue(at: soon), "one byte short of 8 MiB")
        pings.received(1)
        #expect(PingSchedule.acknowledgementBytes == 8 << 20)
        #expect(pings.isDue(at: soon), "8 MiB received within 10 ms")
        pings.sent(at: soon)
        #expect(!pings.isDue(at: soon + .milliseconds(10)), "the ping was sent: the count starts afresh")
        for _ in 0..<8 {
            pings.received(1 << 20)
        }
        #expect(pings.isDue(at: soon + .milliseconds(20)), "8 messages of 1 MiB add up")
    }

    @Test("a ping is due a ping interval after the client last sent, whatever it received")
    func afterInterval() {
        var pings = PingSchedule(interval: .seconds(1), now: t0)
        pings.received(100)
        #expect(!pings.isDue(at: t0 + .milliseconds(999)))
        #expect(pings.isDue(at: t0 + .seconds(1)))
        #expect(pings.nextPing == t0 + .seconds(1))
        pings.sent(at: t0 + .milliseconds(500))
        #expect(!pings.isDue(at: t0 + .seconds(1)), "sending anything puts the ping off")
        #expect(pings.nextPing == t0 + .milliseconds(1500))
    }
}
