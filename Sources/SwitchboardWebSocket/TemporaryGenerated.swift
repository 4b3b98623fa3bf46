// TEMPORARY
import SwitchboardCore
extension TransportDescriptor {
    public static let websocket = TransportDescriptor(name: "websocket", kind: .upgrade, summary: "", urlShape: "/{resource}/websocket[/{sid}]", pathSegments: ["sid"], contentType: nil, headers: [], prelude: "", padTo: 0, padding: " ", wrapper: "{payload}", escaping: .none, resumeHeader: nil, defaults: { var o = TransportOptions(); o.heartbeatInterval = .milliseconds(10000); o.timeout = .milliseconds(8000); return o }(), order: 1)
}
public enum SwitchboardWebSocketTransports { public static let all: [any Transport] = [WebSocketTransport(descriptor: .websocket)] }
