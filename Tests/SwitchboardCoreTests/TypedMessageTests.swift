import SwitchboardCore
import SwitchboardJSON
import Testing

@Suite("typed messages (SwitchboardJSON)")
struct TypedMessageTests {
    struct Chat: Codable, Equatable {
        var from: String
        var text: String
        var tags: [String]
    }

    @Test("a Codable value round-trips through a ~j~ frame")
    func roundTrip() throws {
        let chat = Chat(from: "ada", text: "</script> 😀", tags: ["a"])
        let codec = FramedCodec()
        let frame = codec.frame(try Message(encoding: chat))
        #expect(frame.hasPrefix("~m~"))
        guard case .message(let message) = codec.decode(frame).frames.first else {
            Issue.record("no message decoded")
            return
        }
        #expect(try message.decode(Chat.self) == chat)
    }

    @Test("clear errors: a string, a wrong shape, a non-object value")
    func errors() {
        #expect(throws: TypedMessageError.self) { try Message.text("hi").decode(Chat.self) }
        #expect(throws: TypedMessageError.self) { try Message.json(["from": 1]).decode(Chat.self) }
        #expect(throws: TypedMessageError.self) { try Message(encoding: [1, 2, 3]) }
        do {
            _ = try Message.json(["from": "x"]).decode(Chat.self)
        } catch {
            #expect(error.description.contains("Chat"))
        }
    }
}
