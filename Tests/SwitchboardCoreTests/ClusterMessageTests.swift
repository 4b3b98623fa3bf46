import SwitchboardCore
import Testing

/// The text form of what nodes tell each other (docs/cluster.md): every message survives
/// encode → decode, and a text that is not one decodes to nothing.
@Suite("cluster messages")
struct ClusterMessageTests {
    static let messages: [ClusterMessage] = [
        .send(.text("hello </script> 😀"), to: .everyone, except: []),
        .send(.json(["a": 1, "b": ["c": "d"]]), to: .room("lobby"), except: ["SID1", "SID2"]),
        .attach(sessionId: "S", connection: 7, transport: "xhr-polling", style: .poll, acknowledged: 3),
        .attach(sessionId: "S", connection: 8, transport: "websocket", style: .persistent, acknowledged: nil),
        .detach(connection: 7),
        .writable(connection: 8, false),
        .receive(sessionId: "S", payload: "~m~1~m~a", request: 1),
        .exists(sessionId: "S", request: 2),
        .accepted(connection: 7),
        .write(connection: 8, payload: "~m~2~m~hi", sequence: 4),
        .complete(connection: 7, payload: "", sequence: 0),
        .close(connection: 8, goingAway: false),
        .close(connection: 9, goingAway: true),
        .reject(connection: 7),
        .verdict(request: 1, .taken),
        .verdict(request: 2, .refused("base 9 beyond the 2 messages received")),
        .verdict(request: 3, .unknownSession),
    ]

    @Test("every message survives encode → decode", arguments: messages)
    func roundTrip(message: ClusterMessage) {
        #expect(ClusterMessage(encoded: message.encoded) == message, "\(message.encoded)")
    }

    @Test("texts that are no message decode to nothing", arguments: [
        "", "{}", "[]", #"{"k":"send"}"#, #"{"k":"send","t":"a","j":{}}"#, #"{"k":"attach","s":"S","c":-1,"t":"x","p":true}"#,
        #"{"k":"verdict","q":1,"v":"maybe"}"#, #"{"k":"nope"}"#, #"{"k":"send","t":"a","x":[1]}"#,
    ])
    func garbage(text: String) {
        #expect(ClusterMessage(encoded: text) == nil)
    }
}
