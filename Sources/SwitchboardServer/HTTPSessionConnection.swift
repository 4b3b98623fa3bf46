import NIOCore
import NIOHTTP1
import SwitchboardCore

/// A poll or a stream: an HTTP response that carries a session's payloads (transport kinds
/// `poll` and `stream`). It forwards the session's calls to the HTTP handler on its channel's loop.
final class HTTPSessionConnection: SessionConnection, @unchecked Sendable {
    let descriptor: TransportDescriptor
    let session: any SessionHandle
    let index: String?
    let style: ConnectionStyle
    private let handler: NIOLoopBound<SessionHTTPHandler>

    var transportName: String { descriptor.name }

    init(descriptor: TransportDescriptor, session: any SessionHandle, index: String?, handler: SessionHTTPHandler, eventLoop: any EventLoop) {
        self.descriptor = descriptor
        self.session = session
        self.index = index
        self.style = descriptor.kind == .poll ? .poll : .persistent
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
    }

    private func wrap(_ payload: OutboundPayload) -> String {
        descriptor.wrap(payload: payload.text, sessionId: session.sessionId, sequence: payload.sequence, index: index)
    }

    /// Runs `body` with the handler on its channel's loop (docs/architecture.md: one rule for hops).
    private func onHandler(_ body: @escaping @Sendable (SessionHTTPHandler) -> Void) {
        handler.eventLoop.runOnLoop { [handler] in body(handler.value) }
    }

    func write(_ payload: OutboundPayload) {
        let text = wrap(payload)
        onHandler { $0.streamWrite(self, text: text) }
    }

    func complete(_ payload: OutboundPayload) {
        let text = wrap(payload)
        onHandler { $0.finishPoll(self, body: text) }
    }

    func close() {
        let empty = descriptor.wrap(payload: "", sessionId: session.sessionId, sequence: 0, index: index)
        onHandler { $0.closeHeld(self, emptyBody: empty) }
    }

    func reject() {
        onHandler { $0.rejectHeld(self) }
    }

    func accepted() {
        guard style == .persistent else { return }
        onHandler { $0.acceptStream(self) }
    }
}
