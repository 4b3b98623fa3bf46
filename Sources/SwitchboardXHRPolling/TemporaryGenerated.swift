// TEMPORARY
import SwitchboardCore
extension TransportDescriptor {
    public static let xhrPolling = TransportDescriptor(name: "xhr-polling", kind: .poll, summary: "", urlShape: "/{resource}/xhr-polling[/{sid}][/{timestamp}]", pathSegments: ["sid", "timestamp"], contentType: "text/plain; charset=UTF-8", headers: [("Cache-Control", "no-cache")], prelude: "", padTo: 0, padding: " ", wrapper: "{payload}", escaping: .none, resumeHeader: nil, defaults: { var o = TransportOptions(); o.duration = .milliseconds(20000); return o }(), order: 6)
}
public enum SwitchboardXHRPollingTransports { public static let all: [any Transport] = [PollTransport(descriptor: .xhrPolling)] }
