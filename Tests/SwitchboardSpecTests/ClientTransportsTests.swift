import Testing

@testable import SwitchboardSpec

/// The client role: the target of the `Socket` component gets every transport's descriptor, also
/// those of modules it does not link (xhr-streaming's module is the host executable).
@Suite struct ClientTransportsTests {
    @Test func theSocketTargetGetsEveryTransport() throws {
        let generator = Generator(
            specs: try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs)), templates: try realTemplates())
        let client = generator.generate(
            target: "SwitchboardClient", dependencies: ["SwitchboardCore", "SwitchboardWire", "SwitchboardJSON"])
        #expect(client.contains("enum SpecTransports {"))
        #expect(generator.specs.transports.count == 8)
        for transport in generator.specs.transports {
            #expect(client.contains("name: \"\(transport.name)\","), "\(transport.name)")
            #expect(client.contains(transport.file.displayName), "the header names \(transport.file.displayName)")
        }
        #expect(client.contains(#"wrapper: "{payload}\n","#), "xhr-streaming's wrapper")
        #expect(client.contains("options.heartbeatInterval = .milliseconds(10000)"))
        #expect(client.contains("import NIOCore"))
        #expect(
            !client.contains("extension TransportDescriptor"), "internal to the client: no clash with the transport modules")
        #expect(!client.contains("TransportRegistry"), "a client is no host")

        // Only the Socket component's target is a client.
        let host = generator.generate(target: "switchboard", dependencies: ["SwitchboardServer", "SwitchboardCore"])
        #expect(!host.contains("SpecTransports"))
    }
}
