import SwitchboardClient
import SwitchboardCore
import SwitchboardJSON
import SwitchboardServerTestSupport
import Testing

/// xhr-streaming is defined by `Specs/transports/xhr-streaming.yaml` alone, in the host executable's
/// module: the client has no Swift code for it and links no module of it, only the descriptor the
/// build plugin generated into the client from the YAML.
@Suite("the Swift client speaks a transport defined by its spec alone")
struct SpecOnlyTransportTests {
    @Test("xhr-streaming against the switchboard host: session, messages both ways, their echoes")
    func xhrStreaming() async throws {
        let host = try await HostProcess(["--app", "echo", "--transports", "xhr-streaming"])
        defer { host.stop() }
        let socket = try Socket(port: host.port, options: socketOptions("xhr-streaming"))
        let probe = Probe(socket)
        try await socket.connect()
        #expect(socket.transport == "xhr-streaming")
        #expect(socket.sessionId?.count == 22)
        let sent: [Message] = [.text(TransportMatrixTests.hostile), .json(["a": 1, "b": ["</script>"]]), "two\nlines"]
        socket.send(sent)
        #expect(try await probe.messages(count: 3) == sent, "each message echoed, in order")
        try socket.send(encoding: Chat(user: "ada", text: "hi", count: 1))
        #expect(try await probe.messages(count: 4).last?.decode(Chat.self) == Chat(user: "ada", text: "hi", count: 1))
        #expect(probe.events == ["connecting:xhr-streaming", "connect"])
        socket.disconnect()
        try await probe.waitFor("disconnect")
    }
}
