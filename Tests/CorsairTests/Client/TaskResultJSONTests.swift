import Corsair
import Testing

@Suite struct TaskResultJSONTests {
    @Test("writes a success as one line of sorted keys, with null for a missing worker and start")
    func success() {
        let result = TaskResult(
            id: "a\"1", category: "a", outcome: .succeeded, attempts: 1, worker: nil, started: nil, finished: 9,
            output: Array("héllo/\n".utf8))
        #expect(
            result.jsonLine
                == #"{"attempts":1,"category":"a","finished":9,"id":"a\"1","result":"héllo/\n","started":null,"status":"succeeded","worker":null}"#
        )
    }

    @Test("writes a failure's text under error")
    func failure() {
        let result = TaskResult(
            id: "b", category: "b", outcome: .failed, attempts: 3, worker: "w", started: 5, finished: 9,
            output: Array("timeout".utf8))
        #expect(
            result.jsonLine
                == #"{"attempts":3,"category":"b","error":"timeout","finished":9,"id":"b","started":5,"status":"failed","worker":"w"}"#
        )
    }
}
