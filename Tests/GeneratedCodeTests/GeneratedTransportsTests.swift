import NIOCore
import SwitchboardCore
import SwitchboardWebSocket
import SwitchboardXHRPolling
import Testing

/// The descriptors generated from Specs/transports/*.yaml.
@Suite struct GeneratedTransportsTests {
    @Test func xhrPollingDescriptor() {
        let descriptor = TransportDescriptor.xhrPolling
        #expect(descriptor.name == "xhr-polling")
        #expect(descriptor.kind == .poll)
        #expect(descriptor.urlShape == "/{resource}/xhr-polling[/{sid}][/{timestamp}]")
        #expect(descriptor.pathSegments == ["sid", "timestamp"])
        #expect(descriptor.contentType == "text/plain; charset=UTF-8")
        #expect(descriptor.headers.map(\.name) == ["Cache-Control"])
        #expect(descriptor.headers.map(\.value) == ["no-cache"])
        #expect(descriptor.prelude == "" && descriptor.padTo == 0 && descriptor.padding == " ")
        #expect(descriptor.wrapper == "{payload}" && descriptor.escaping == .none)
        #expect(descriptor.resumeHeader == nil)
        #expect(descriptor.defaults.duration == .milliseconds(20000))
        #expect(descriptor.defaults.heartbeatInterval == nil)
        #expect(descriptor.order == 6)
    }

    @Test func websocketDescriptor() {
        let descriptor = TransportDescriptor.websocket
        #expect(descriptor.name == "websocket")
        #expect(descriptor.kind == .upgrade)
        #expect(descriptor.pathSegments == ["sid"])
        #expect(descriptor.contentType == nil)
        #expect(descriptor.headers.isEmpty)
        #expect(descriptor.defaults.heartbeatInterval == .milliseconds(10000))
        #expect(descriptor.defaults.timeout == .milliseconds(8000))
        #expect(descriptor.defaults.duration == nil)
        #expect(descriptor.order == 1)
    }

    @Test func modulesListTheirTransportsAndARegistryOrdersThem() {
        #expect(SwitchboardWebSocketTransports.all.map(\.descriptor.name) == ["websocket"])
        #expect(SwitchboardWebSocketTransports.all.first is WebSocketTransport)
        #expect(SwitchboardXHRPollingTransports.all.first is PollTransport)
        let registry = TransportRegistry(SwitchboardXHRPollingTransports.all + SwitchboardWebSocketTransports.all)
        #expect(registry.names == ["websocket", "xhr-polling"])
        #expect(registry["xhr-polling"]?.descriptor.kind == .poll)
    }
}
